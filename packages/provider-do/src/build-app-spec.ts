import { type DesiredHealth, type DesiredService, ProviderError } from '@berth/core';
import { fingerprintsEnv, revisionEnv } from './app-names.js';
import type {
  AppHealthCheckSpec,
  AppImageSourceSpec,
  AppServiceSpec,
  AppSpec,
  AppVariableDefinition,
} from './do-raw-api.js';
import { instanceSizeFor } from './instance-sizes.js';

/** What the app spec is built from. */
export interface AppSpecInput {
  desired: DesiredService;
  region: string;
  image: AppImageSourceSpec;
  /**
   * Specs App Platform returned (the app's, its active deployment's): a secret whose fingerprint one
   * of them recorded resubmits that spec's `EV[…]` ciphertext.
   */
  live?: AppSpec[];
  /** The plaintext of a secret whose fingerprint changed (handed to the secret store's `upsert` in this run). */
  secretValue(key: string, fingerprint: string): string | undefined;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * App Platform's health check from the spec's health settings: App Platform requires a
 * `success_threshold` of 1 (Berth's own verification counts its rounds); its failures in a row
 * cover the verification timeout. Primary paths with headers are checked by TCP, because App
 * Platform's probes cannot send headers.
 */
export function buildHealthCheck(health: DesiredHealth | undefined, healthPath: string): AppHealthCheckSpec {
  const intervalMs = health?.intervalMs ?? 10_000;
  const period = clamp(Math.round(intervalMs / 1000), 1, 300);
  return {
    ...(health?.headers && Object.keys(health.headers).length > 0
      ? {}
      : { http_path: health?.path ?? healthPath }),
    initial_delay_seconds: 0,
    period_seconds: period,
    timeout_seconds: clamp(Math.ceil((health?.attemptTimeoutMs ?? 1_000) / 1000), 1, 120),
    success_threshold: 1,
    failure_threshold: clamp(Math.ceil((health?.timeoutMs ?? 60_000) / (period * 1000)), 1, 50),
  };
}

/** The secret env of `key`: the live ciphertext when its fingerprint is unchanged, else the new plaintext. */
function secretEnv(input: AppSpecInput, key: string, fingerprint: string): AppVariableDefinition {
  for (const live of input.live ?? []) {
    if (fingerprintsOf(live)[key] !== fingerprint) continue;
    const current = live.services?.[0]?.envs?.find((env) => env.key === key && env.type === 'SECRET');
    if (current?.value?.startsWith('EV['))
      return { key, value: current.value, scope: 'RUN_TIME', type: 'SECRET' };
  }
  const value = input.secretValue(key, fingerprint);
  if (value === undefined)
    throw new ProviderError(
      'SECRET_SOURCE_MISSING',
      `The value of secret ${key} is not available to send to App Platform`,
      {
        hint: 'Run `up` again: the value is sent when its fingerprint changes, in the same run that read it.',
        details: { key },
      },
    );
  return { key, value, scope: 'RUN_TIME', type: 'SECRET' };
}

/** The fingerprints a spec recorded, by secret key. */
export function fingerprintsOf(spec: AppSpec): Record<string, string> {
  const value = spec.envs?.find((env) => env.key === fingerprintsEnv)?.value;
  if (!value) return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const sorted = <T>(record: Record<string, T>) =>
  Object.entries(record).sort(([a], [b]) => a.localeCompare(b));

/**
 * The app spec for `desired`: one service component named after the spec, its image by digest, its
 * env and secrets at run time, its health check, size and count; Berth's revision and the secrets'
 * fingerprints in build-time app envs (kept in the spec, never given to the container). Pure.
 */
export function buildAppSpec(input: AppSpecInput): AppSpec {
  const { desired } = input;
  const fingerprints = Object.fromEntries(
    sorted(desired.secrets).map(([key, binding]) => [key, binding.fingerprint]),
  );
  const envs: AppVariableDefinition[] = [
    ...sorted(desired.env).map(
      ([key, value]): AppVariableDefinition => ({ key, value, scope: 'RUN_TIME', type: 'GENERAL' }),
    ),
    ...Object.entries(fingerprints).map(([key, fingerprint]) => secretEnv(input, key, fingerprint)),
  ];
  const service: AppServiceSpec = {
    name: desired.name,
    image: input.image,
    http_port: desired.port,
    instance_size_slug: instanceSizeFor(desired.resources) ?? 'apps-s-1vcpu-0.5gb',
    instance_count: desired.resources.minInstances ?? 1,
    health_check: buildHealthCheck(desired.health, desired.healthPath),
    ...(envs.length > 0 ? { envs } : {}),
  };
  return {
    name: desired.service,
    region: input.region,
    services: [service],
    envs: [
      { key: revisionEnv, value: desired.revision, scope: 'BUILD_TIME', type: 'GENERAL' },
      ...(envs.length > 0 && Object.keys(fingerprints).length > 0
        ? [
            {
              key: fingerprintsEnv,
              value: JSON.stringify(fingerprints),
              scope: 'BUILD_TIME' as const,
              type: 'GENERAL' as const,
            },
          ]
        : []),
    ],
  };
}

/** The image source of a reference: DOCR (`<host>/<registry>/<repo>`), Docker Hub or GHCR, by digest. */
export function imageSourceOf(
  image: { ref: string; digest?: string },
  docr: { hosts: string[]; registry: string },
): AppImageSourceSpec {
  const [path = '', refDigest] = image.ref.split('@');
  const digest = image.digest ?? refDigest;
  if (!digest?.startsWith('sha256:'))
    throw new ProviderError('PROVIDER_REQUEST_FAILED', `The image ${image.ref} has no sha256 digest`, {
      hint: 'App Platform deploys by digest only (a moving tag redeploys the wrong image): push the image first or reference it as repo@sha256:….',
    });
  const slash = path.indexOf('/');
  const host =
    slash > 0 && /[.:]|^localhost$/.test(path.slice(0, slash)) ? path.slice(0, slash) : 'docker.io';
  const rest = (
    host === 'docker.io' && !path.startsWith('docker.io/') ? path : path.slice(slash + 1)
  ).replace(/:[^/]*$/, '');
  if (docr.hosts.includes(host)) {
    if (!rest.startsWith(`${docr.registry}/`))
      throw new ProviderError(
        'PROVIDER_REQUEST_FAILED',
        `The image ${image.ref} is not in the registry ${docr.registry}`,
        {
          hint: `App Platform pulls DOCR images of its own account's registry: push to ${host}/${docr.registry}/….`,
        },
      );
    return { registry_type: 'DOCR', repository: rest.slice(docr.registry.length + 1), digest };
  }
  if (host === 'docker.io' || host === 'ghcr.io') {
    const parts = rest.split('/');
    const repository = parts.pop() ?? '';
    const registry = parts.join('/') || 'library';
    return { registry_type: host === 'ghcr.io' ? 'GHCR' : 'DOCKER_HUB', registry, repository, digest };
  }
  throw new ProviderError('PROVIDER_REQUEST_FAILED', `App Platform cannot pull ${image.ref}`, {
    hint: 'App Platform pulls from DOCR, Docker Hub and GHCR only: build the image (`image.build`) so Berth pushes it to DOCR.',
  });
}
