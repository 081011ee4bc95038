/**
 * The labels on every revision container: how Berth finds its containers and reads the deployed
 * configuration back from the engine (the truth for `observe`, `status` and `plan`). Labels hold
 * names, fingerprints and store references only — never a secret value. Pure.
 */
import type { DesiredService, Resources } from '@berth/core';

/** Label keys. */
export const LABELS = {
  managedBy: 'dev.berth.managed-by',
  service: 'dev.berth.service',
  name: 'dev.berth.name',
  environment: 'dev.berth.environment',
  revision: 'dev.berth.revision',
  imageRef: 'dev.berth.image-ref',
  imageDigest: 'dev.berth.image-digest',
  port: 'dev.berth.port',
  hostPort: 'dev.berth.host-port',
  bindAddress: 'dev.berth.bind-address',
  envKeys: 'dev.berth.env-keys',
  secrets: 'dev.berth.secrets',
  resources: 'dev.berth.resources',
  public: 'dev.berth.public',
  healthPath: 'dev.berth.health-path',
} as const;

/** Value of `dev.berth.managed-by`. */
export const MANAGED_BY = 'berth';

/** What a revision container's labels say. */
export interface RevisionLabels {
  service: string;
  name: string;
  environment: string;
  revision: string;
  image: { ref: string; digest?: string };
  port: number;
  hostPort: number;
  bindAddress: string;
  /** Names of the plain environment variables the spec set (not `PORT`/`BERTH_REVISION` added by Berth). */
  envKeys: string[];
  /** Secret variables: store reference and fingerprint. */
  secrets: Record<string, { ref?: string; fingerprint: string }>;
  resources: Resources;
  public: boolean;
  healthPath: string;
}

/** The label filter selecting every container Berth manages for `service`. */
export function serviceSelector(service: string): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LABELS.service]: service };
}

/** Labels of a revision container. Secret bindings contribute their reference and fingerprint only. */
export function buildLabels(
  desired: DesiredService,
  placement: { hostPort: number; bindAddress: string },
): Record<string, string> {
  const secrets = Object.fromEntries(
    Object.entries(desired.secrets)
      .sort(([left], [right]) => (left < right ? -1 : 1))
      .map(([key, binding]) => [
        key,
        { ...(binding.ref ? { ref: binding.ref } : {}), fingerprint: binding.fingerprint },
      ]),
  );
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.service]: desired.service,
    [LABELS.name]: desired.name,
    [LABELS.environment]: desired.environment,
    [LABELS.revision]: desired.revision,
    [LABELS.imageRef]: desired.image.ref,
    ...(desired.image.digest ? { [LABELS.imageDigest]: desired.image.digest } : {}),
    [LABELS.port]: String(desired.port),
    [LABELS.hostPort]: String(placement.hostPort),
    [LABELS.bindAddress]: placement.bindAddress,
    [LABELS.envKeys]: Object.keys(desired.env).sort().join(','),
    [LABELS.secrets]: JSON.stringify(secrets),
    [LABELS.resources]: JSON.stringify(desired.resources),
    [LABELS.public]: String(desired.public),
    [LABELS.healthPath]: desired.healthPath,
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSecrets(text: string | undefined): RevisionLabels['secrets'] {
  const parsed = parseJson(text);
  if (!isRecord(parsed)) return {};
  const secrets: RevisionLabels['secrets'] = {};
  for (const [key, entry] of Object.entries(parsed)) {
    if (!isRecord(entry) || typeof entry.fingerprint !== 'string') continue;
    secrets[key] = {
      ...(typeof entry.ref === 'string' ? { ref: entry.ref } : {}),
      fingerprint: entry.fingerprint,
    };
  }
  return secrets;
}

function parseResources(text: string | undefined): Resources {
  const parsed = parseJson(text);
  if (!isRecord(parsed)) return {};
  const resources: Resources = {};
  if (typeof parsed.cpu === 'number') resources.cpu = parsed.cpu;
  if (typeof parsed.memory === 'string') resources.memory = parsed.memory;
  for (const key of ['minInstances', 'maxInstances', 'concurrency'] as const)
    if (typeof parsed[key] === 'number') resources[key] = parsed[key];
  return resources;
}

function positiveInt(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** Read a container's labels back; `undefined` when the container is not a Berth revision. */
export function parseLabels(labels: Record<string, string>): RevisionLabels | undefined {
  if (labels[LABELS.managedBy] !== MANAGED_BY) return undefined;
  const service = labels[LABELS.service];
  const revision = labels[LABELS.revision];
  const imageRef = labels[LABELS.imageRef];
  const port = positiveInt(labels[LABELS.port]);
  if (!service || !revision || !imageRef || port === undefined) return undefined;
  const digest = labels[LABELS.imageDigest];
  const envKeys = labels[LABELS.envKeys];
  return {
    service,
    name: labels[LABELS.name] ?? service,
    environment: labels[LABELS.environment] ?? '',
    revision,
    image: { ref: imageRef, ...(digest ? { digest } : {}) },
    port,
    hostPort: positiveInt(labels[LABELS.hostPort]) ?? port,
    bindAddress: labels[LABELS.bindAddress] ?? '127.0.0.1',
    envKeys: envKeys ? envKeys.split(',') : [],
    secrets: parseSecrets(labels[LABELS.secrets]),
    resources: parseResources(labels[LABELS.resources]),
    public: labels[LABELS.public] !== 'false',
    healthPath: labels[LABELS.healthPath] ?? '/',
  };
}
