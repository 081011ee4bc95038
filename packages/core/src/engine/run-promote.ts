import { BerthError, toBerthError } from '../errors/index.js';
import { verifyHealth } from '../health/verify-health.js';
import { newFingerprintKey } from '../secrets/fingerprint.js';
import { serviceNameOf } from '../spec/service-spec.js';
import { healthChecksOf } from './desired-service.js';
import type { EngineDeps } from './engine-deps.js';
import { digestOf } from './resolve-image.js';
import { resolveSecrets } from './resolve-secrets.js';
import type { DeployResult } from './result.js';
import { providerContextFor, type RunContext } from './run-context.js';
import { runUp, type UpOptions, validateForProvider } from './run-up.js';

/** Options of `promote`. */
export interface PromoteOptions extends UpOptions {
  /** Source environment, e.g. `dev`. */
  from: string;
  /** Target environment, e.g. `prod`. */
  to: string;
}

/** A digest reference for an image: `repo@sha256:…`. */
export function digestReference(image: { ref: string; digest?: string }): string | undefined {
  if (digestOf(image.ref)) return image.ref;
  if (!image.digest) return undefined;
  // A local image ID (`sha256:…`) is itself immutable.
  if (image.ref === image.digest || image.ref.startsWith('sha256:')) return image.ref;
  const withoutTag = image.ref.replace(/:[^/:@]+$/, '');
  return `${withoutTag}@${image.digest}`;
}

/**
 * `promote`: deploy to `to` the exact image digest that is live and verified healthy in `from`.
 * Refuses when the source has no verified revision, runs something else now, or fails its checks.
 */
export async function runPromote(
  deps: EngineDeps,
  run: RunContext,
  input: unknown,
  options: PromoteOptions,
): Promise<DeployResult> {
  const refuse = (message: string): DeployResult =>
    run.redactor.value({
      status: 'failed',
      service: run.target.service,
      runId: run.runId,
      phases: run.phases,
      error: new BerthError('PROMOTION_SOURCE_NOT_HEALTHY', message).toJSON(),
    });
  try {
    const base = validateForProvider(
      deps,
      { ...(input as object), environment: options.from },
      { needsImage: false },
    );
    const source = { service: serviceNameOf(base), name: base.name, environment: options.from };
    run.target = source;
    const state = await deps.state.read(source.service);
    const current = state?.current;
    if (!current?.verified) return refuse(`${source.service} has no revision that passed verification`);
    const observed = await deps.provider.observe(providerContextFor(run, 'plan'), source);
    const liveDigest =
      observed?.image?.digest ?? (observed?.image?.ref ? digestOf(observed.image.ref) : undefined);
    const recordedDigest = current.image.digest ?? digestOf(current.image.ref);
    if (
      !observed ||
      observed.revision !== current.revision ||
      (liveDigest && recordedDigest && liveDigest !== recordedDigest)
    )
      return refuse(
        `${source.service} is not running its verified revision ${current.revision} (live: ${observed?.revision ?? 'nothing'})`,
      );
    if (observed.url) {
      // The primary path may send a secret header (a key-protected health endpoint): read the
      // source's values, never generating one.
      const needsSecrets = Object.values(base.health.headers ?? {}).some(
        (value) => typeof value === 'object',
      );
      const secrets = needsSecrets
        ? await resolveSecrets({
            spec: base,
            provider: deps.provider,
            context: providerContextFor(run, 'plan'),
            target: source,
            sources: deps.secretSources,
            redactor: run.redactor,
            fingerprintKey: state?.fingerprintKey ?? newFingerprintKey(),
            generate: false,
          }).catch(() => [])
        : [];
      const report = await verifyHealth({
        url: observed.url,
        checks: healthChecksOf(
          { ...base, health: { ...base.health, checks: [] } },
          new Map(secrets.map((secret) => [secret.key, secret.value])),
        ),
        timeoutMs: base.health.attemptTimeoutMs,
        attemptTimeoutMs: base.health.attemptTimeoutMs,
        intervalMs: base.health.attemptTimeoutMs,
        clock: run.clock,
        fetch: deps.fetch,
      });
      if (!report.healthy)
        return refuse(
          `${source.service} is live but failing its health check now (${report.attempts.at(-1)?.error})`,
        );
    }
    const ref = digestReference(current.image);
    if (!ref)
      return refuse(`${source.service} has no image digest recorded, so the exact image cannot be promoted`);
    run.target = { service: `${base.name}-${options.to}`, name: base.name, environment: options.to };
    return await runUp(
      deps,
      run,
      { ...(input as object), environment: options.to, image: { ref } },
      options,
      {
        kind: 'promotion',
        promotedFrom: options.from,
      },
    );
  } catch (error) {
    return run.redactor.value({
      status: 'failed',
      service: run.target.service,
      runId: run.runId,
      phases: run.phases,
      error: toBerthError(error).toJSON(),
    });
  }
}
