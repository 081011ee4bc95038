/** Fargate task sizes: CPU units → the memory (MiB) each allows. Pure. */
const fargate: Record<number, { min: number; max: number; step: number }> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16384, step: 1024 },
  4096: { min: 8192, max: 30720, step: 1024 },
  8192: { min: 16384, max: 61440, step: 4096 },
  16384: { min: 32768, max: 122880, step: 8192 },
};

function fits(units: number, mib: number): boolean {
  const size = fargate[units];
  if (!size) return false;
  if (units === 256 && mib === 512) return true;
  return mib >= size.min && mib <= size.max && (mib - size.min) % size.step === 0;
}

/**
 * The Express `cpu`/`memory` (CPU units and MiB, as strings) for the spec's resources, filling a
 * missing half with the smallest Fargate size that fits; `undefined` when Fargate has no such size,
 * `{}` when the spec gives neither (Express's default, 1 vCPU / 2 GB).
 */
export function fargateSize(resources: {
  cpu?: number;
  memory?: string;
}): { cpu?: string; memory?: string } | undefined {
  const match = /^(\d+)(Mi|Gi)$/.exec(resources.memory ?? '');
  const mib = match ? Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1) : undefined;
  if (resources.cpu === undefined && mib === undefined) return {};
  const units = resources.cpu === undefined ? undefined : Math.round(resources.cpu * 1024);
  if (units === undefined) {
    const found = Object.keys(fargate)
      .map(Number)
      .find((candidate) => mib !== undefined && fits(candidate, mib));
    return found === undefined ? undefined : { cpu: String(found), memory: String(mib) };
  }
  const memory = mib ?? fargate[units]?.min;
  if (memory === undefined || !fits(units, memory)) return undefined;
  return { cpu: String(units), memory: String(memory) };
}
