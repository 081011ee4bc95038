import type { ContainerSummary } from './host-transport.js';

const wildcards = new Set(['', '0.0.0.0', '::']);

/** True when two bind addresses overlap (equal, or either is a wildcard). */
export function addressesOverlap(left: string, right: string): boolean {
  return left === right || wildcards.has(left) || wildcards.has(right);
}

/**
 * Who holds `bindAddress:hostPort` among the host's containers: split into this service's own
 * containers and the others (by name). Pure; processes outside Docker are checked separately.
 */
export function portHolders(
  containers: ContainerSummary[],
  placement: { bindAddress: string; hostPort: number },
  isOwn: (container: ContainerSummary) => boolean,
): { own: ContainerSummary[]; others: ContainerSummary[] } {
  const holders = containers.filter((container) =>
    container.ports.some(
      (port) => port.hostPort === placement.hostPort && addressesOverlap(port.hostIp, placement.bindAddress),
    ),
  );
  return { own: holders.filter(isOwn), others: holders.filter((container) => !isOwn(container)) };
}
