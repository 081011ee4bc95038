/** Choosing the loopback port of a new revision in proxy mode. */
import { ProviderError } from '@berth/core';

/**
 * Revision ports: 10000–19999, below the ranges test kits and the kernel hand out (20000+ and the
 * ephemeral 32768+), so a port picked here is not taken by an outgoing connection meanwhile.
 */
export const REVISION_PORTS = { first: 10_000, last: 19_999 } as const;

/** A random port of `REVISION_PORTS` not in `taken` and free on the host; tries 50 times. */
export async function pickRevisionPort(input: {
  taken: ReadonlySet<number>;
  random: () => number;
  isFree: (port: number) => Promise<boolean>;
}): Promise<number> {
  const span = REVISION_PORTS.last - REVISION_PORTS.first + 1;
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = REVISION_PORTS.first + Math.floor(input.random() * span);
    if (!input.taken.has(port) && (await input.isFree(port))) return port;
  }
  throw new ProviderError('PROVIDER_CONFLICT', 'No free loopback port for the new revision', {
    hint: `Ports ${REVISION_PORTS.first}–${REVISION_PORTS.last} on the host are busy; remove old containers or stop what listens there.`,
  });
}
