import type { Resources } from '@berth/core';

/** App Platform's current instance sizes (`apps-s-*` shared, `apps-d-*` dedicated CPU), smallest first. */
export const instanceSizes = [
  { slug: 'apps-s-1vcpu-0.5gb', cpu: 1, memoryMi: 512 },
  { slug: 'apps-s-1vcpu-1gb', cpu: 1, memoryMi: 1024 },
  { slug: 'apps-s-1vcpu-2gb', cpu: 1, memoryMi: 2048 },
  { slug: 'apps-s-2vcpu-4gb', cpu: 2, memoryMi: 4096 },
  { slug: 'apps-d-2vcpu-8gb', cpu: 2, memoryMi: 8192 },
  { slug: 'apps-d-4vcpu-8gb', cpu: 4, memoryMi: 8192 },
  { slug: 'apps-d-4vcpu-16gb', cpu: 4, memoryMi: 16_384 },
  { slug: 'apps-d-8vcpu-32gb', cpu: 8, memoryMi: 32_768 },
] as const;

const mebibytes = (memory: string): number => {
  const match = /^(\d+)(Mi|Gi)$/.exec(memory);
  if (!match) return Number.NaN;
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};

/** The smallest size with at least the requested CPU and memory; `undefined` when none is big enough. */
export function instanceSizeFor(resources: Pick<Resources, 'cpu' | 'memory'> = {}): string | undefined {
  const cpu = resources.cpu ?? 0;
  const memory = resources.memory ? mebibytes(resources.memory) : 0;
  return instanceSizes.find((size) => size.cpu >= cpu && size.memoryMi >= memory)?.slug;
}
