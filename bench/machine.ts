/** The machine a bench ran on, as the report prints it. */
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import type Docker from 'dockerode';

/** What the results depend on. */
export interface Machine {
  os: string;
  kernel: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  docker: string;
  dockerApi: string;
  storageDriver: string;
  /** The builders the deploys use: the classic one (the Engine API default) and BuildKit (`version=2`, no session). */
  builder: string;
  node: string;
}

async function osName(): Promise<string> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1] ?? process.platform;
}

/** Describe this machine and its Docker engine (through the Engine API). */
export async function describeMachine(docker: Docker): Promise<Machine> {
  const [version, info] = await Promise.all([
    docker.version(),
    docker.info() as Promise<{ Driver?: string }>,
  ]);
  return {
    os: await osName(),
    kernel: release(),
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    docker: version.Version,
    dockerApi: version.ApiVersion,
    storageDriver: info.Driver ?? 'unknown',
    builder: 'classic and BuildKit',
    node: process.version,
  };
}
