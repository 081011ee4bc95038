import type { ObservedService, RevisionInfo } from '@berth/core';
import { revisionEnv, secretRef } from './app-names.js';
import { fingerprintsOf } from './build-app-spec.js';
import type { App, AppDeployment, AppSpec } from './do-raw-api.js';

/** The Berth revision a spec deployed; `undefined` for a spec Berth did not write. */
export function revisionOfSpec(spec: AppSpec | undefined): string | undefined {
  return spec?.envs?.find((env) => env.key === revisionEnv)?.value;
}

/** The image reference a spec runs, as Berth pushed it. */
export function imageOfSpec(
  spec: AppSpec,
  docr: { host: string; registry: string },
): { ref?: string; digest?: string } {
  const image = spec.services?.[0]?.image;
  if (!image) return {};
  const pin = image.digest ? `@${image.digest}` : image.tag ? `:${image.tag}` : '';
  const base =
    image.registry_type === 'DOCR'
      ? `${docr.host}/${docr.registry}/${image.repository}`
      : `${image.registry_type === 'GHCR' ? 'ghcr.io' : 'docker.io'}/${image.registry}/${image.repository}`;
  return { ref: `${base}${pin}`, ...(image.digest ? { digest: image.digest } : {}) };
}

/**
 * The live service from an app: what its **active** deployment runs (a deployment that failed leaves
 * the previous one serving, and the app's spec then names the failed one), with the revision and
 * the secrets' fingerprints from its build-time envs. Never a secret value. Pure.
 */
export function readApp(app: App, docr: { host: string; registry: string }): ObservedService {
  const serving = app.active_deployment;
  const spec = serving?.spec ?? app.spec;
  const component = spec.services?.[0];
  const envs = component?.envs ?? [];
  const fingerprints = fingerprintsOf(spec);
  const revision = revisionOfSpec(spec);
  const running = app.in_progress_deployment;
  return {
    service: app.spec.name,
    ...(serving && app.live_url ? { url: app.live_url } : {}),
    ...(revision ? { revision } : {}),
    image: imageOfSpec(spec, docr),
    ...(component?.http_port ? { port: component.http_port } : {}),
    env: Object.fromEntries(
      envs
        .filter((env) => env.type !== 'SECRET' && env.scope !== 'BUILD_TIME')
        .map((env) => [env.key, env.value ?? '']),
    ),
    secrets: Object.fromEntries(
      envs
        .filter((env) => env.type === 'SECRET')
        .map((env) => [
          env.key,
          {
            ref: secretRef(env.key),
            ...(fingerprints[env.key] ? { fingerprint: fingerprints[env.key] } : {}),
          },
        ]),
    ),
    resources: { minInstances: component?.instance_count ?? 1 },
    public: true,
    provider: {
      region: spec.region ?? 'unknown',
      instanceSize: component?.instance_size_slug ?? 'unknown',
    },
    ready: Boolean(serving && app.live_url),
    ...(running
      ? {
          busy: {
            operation: `deployment ${running.id} (${running.phase ?? 'UNKNOWN'})`,
            ...(running.created_at ? { since: running.created_at } : {}),
          },
        }
      : {}),
    data: { appId: app.id, ...(serving ? { deploymentId: serving.id } : {}) },
  };
}

/** A deployment as a revision of `status()`. */
export function revisionInfoOf(
  deployment: AppDeployment,
  active: string | undefined,
  docr: { host: string; registry: string },
): RevisionInfo | undefined {
  const revision = revisionOfSpec(deployment.spec);
  if (!revision || !deployment.spec) return undefined;
  const image = imageOfSpec(deployment.spec, docr);
  return {
    revision,
    ...(image.ref ? { image } : {}),
    ...(deployment.created_at ? { createdAt: deployment.created_at } : {}),
    traffic: deployment.id === active ? 100 : 0,
    status: (deployment.phase ?? 'UNKNOWN').toLowerCase(),
  };
}
