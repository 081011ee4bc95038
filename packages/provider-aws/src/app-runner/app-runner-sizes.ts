/** App Runner's instance sizes (vCPU → memory in MiB). Pure. */
export const appRunnerSizes: Record<string, number[]> = {
  '0.25': [512, 1024],
  '0.5': [1024],
  '1': [2048, 3072, 4096],
  '2': [4096, 6144],
  '4': [8192, 10240, 12288],
};

/** `512Mi` or `1Gi` in MiB; `undefined` for anything else. */
export function mebibytesOf(memory: string | undefined): number | undefined {
  const match = /^(\d+)(Mi|Gi)$/.exec(memory ?? '');
  return match ? Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1) : undefined;
}

/**
 * The App Runner `Cpu`/`Memory` (CPU units and MiB, as strings) for the spec's resources, filling a
 * missing half with the smallest size that fits; `undefined` when the pair is not supported, or
 * `{}` when the spec gives neither (App Runner's default, 1 vCPU / 2 GB).
 */
export function appRunnerInstance(resources: {
  cpu?: number;
  memory?: string;
}): { Cpu?: string; Memory?: string } | undefined {
  const memory = mebibytesOf(resources.memory);
  if (resources.cpu === undefined && memory === undefined) return {};
  let cpu = resources.cpu;
  if (cpu === undefined) {
    const fitting = Object.entries(appRunnerSizes).find(
      ([, sizes]) => memory !== undefined && sizes.includes(memory),
    );
    if (!fitting) return undefined;
    cpu = Number(fitting[0]);
  }
  const sizes = appRunnerSizes[String(cpu)];
  if (!sizes) return undefined;
  const mib = memory ?? sizes[0];
  if (mib === undefined || !sizes.includes(mib)) return undefined;
  return { Cpu: String(Math.round(cpu * 1024)), Memory: String(mib) };
}

/** App Runner's `Cpu` (`1024`, `1 vCPU`) in vCPUs. */
export function vcpusOf(cpu: string | undefined): number | undefined {
  if (!cpu) return undefined;
  const vcpu = /^([\d.]+) vCPU$/i.exec(cpu);
  if (vcpu) return Number(vcpu[1]);
  return /^\d+$/.test(cpu) ? Number(cpu) / 1024 : undefined;
}

/** App Runner's `Memory` (`2048`, `2 GB`) as `<n>Mi`. */
export function memoryOf(memory: string | undefined): string | undefined {
  if (!memory) return undefined;
  const gb = /^([\d.]+) GB$/i.exec(memory);
  if (gb) return `${Math.round(Number(gb[1]) * 1024)}Mi`;
  return /^\d+$/.test(memory) ? `${memory}Mi` : undefined;
}
