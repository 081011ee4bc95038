/**
 * Pure builders for a revision's container: its name, URL, environment and create request.
 * No I/O here; `host-provider.ts` runs what these return.
 */
import type { DesiredService } from '@berth/core';
import type { ContainerCreateBody } from './host-transport.js';

/** Docker restart policies Berth accepts. */
export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

/** How revisions of a service are run on the host (the provider's resolved options). */
export interface HostSettings {
  /** Host address ports are published on. */
  bindAddress: string;
  /** Host port; default the spec's port. */
  hostPort?: number;
  restartPolicy: RestartPolicy;
}

/** Prefix of every container name Berth creates. */
export const CONTAINER_PREFIX = 'berth';

/** The container of one revision: `berth-<service>-<revision>`. */
export function containerName(service: string, revision: string): string {
  return `${CONTAINER_PREFIX}-${service}-${revision}`;
}

const memoryUnits: Record<string, number> = { Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** `512Mi` → 536870912 bytes; `1Gi` → 1073741824. Throws on anything else (the spec rejects it earlier). */
export function parseMemory(memory: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(memory);
  const unit = match ? memoryUnits[match[2] ?? ''] : undefined;
  if (!match || unit === undefined)
    throw new RangeError(`Memory must be a size such as 512Mi or 1Gi, got "${memory}"`);
  return Number(match[1]) * unit;
}

/** vCPUs → the engine's `NanoCpus` (1 vCPU = 1e9). */
export function nanoCpusOf(cpu: number): number {
  return Math.round(cpu * 1e9);
}

/** The host port a revision publishes: the `hostPort` option, else the container port. */
export function hostPortOf(settings: Pick<HostSettings, 'hostPort'>, containerPort: number): number {
  return settings.hostPort ?? containerPort;
}

/** A host name or address as it stands in a URL: IPv6 addresses in brackets. */
export function urlHostName(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The address clients use for a bind address: a wildcard bind is reached on loopback. */
export function urlHostOf(bindAddress: string): string {
  if (bindAddress === '' || bindAddress === '0.0.0.0') return '127.0.0.1';
  if (bindAddress === '::') return '[::1]';
  return urlHostName(bindAddress);
}

/**
 * The service URL: `http://127.0.0.1:<hostPort>` with the default bind address, or
 * `http://<urlHost>:<hostPort>` when the caller names the host clients use (say, a remote server's
 * DNS name).
 */
export function serviceUrl(bindAddress: string, hostPort: number, urlHost?: string): string {
  return `http://${urlHost ?? urlHostOf(bindAddress)}:${hostPort}`;
}

/**
 * The container's environment: the plain env, the secret values, then `PORT` (the container port)
 * and `BERTH_REVISION` unless the service sets them itself. Secrets win over a plain variable of
 * the same name.
 */
export function containerEnv(
  desired: Pick<DesiredService, 'env' | 'port' | 'revision'>,
  secretValues: Record<string, string>,
): string[] {
  const env: Record<string, string> = { ...desired.env, ...secretValues };
  if (!('PORT' in env)) env.PORT = String(desired.port);
  if (!('BERTH_REVISION' in env)) env.BERTH_REVISION = desired.revision;
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

/** The Engine API create request for a revision's container. */
export function buildCreateBody(input: {
  desired: DesiredService;
  secretValues: Record<string, string>;
  settings: HostSettings;
  labels: Record<string, string>;
}): ContainerCreateBody {
  const { desired, settings } = input;
  const portKey = `${desired.port}/tcp`;
  const resources = desired.resources;
  return {
    name: containerName(desired.service, desired.revision),
    Image: desired.image.ref,
    Env: containerEnv(desired, input.secretValues),
    Labels: input.labels,
    ExposedPorts: { [portKey]: {} },
    HostConfig: {
      PortBindings: {
        [portKey]: [{ HostIp: settings.bindAddress, HostPort: String(hostPortOf(settings, desired.port)) }],
      },
      RestartPolicy: { Name: settings.restartPolicy },
      ...(resources.cpu !== undefined ? { NanoCpus: nanoCpusOf(resources.cpu) } : {}),
      ...(resources.memory !== undefined ? { Memory: parseMemory(resources.memory) } : {}),
    },
  };
}
