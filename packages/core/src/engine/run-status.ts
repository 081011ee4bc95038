import { verifyHealth } from '../health/verify-health.js';
import { detectDrift } from '../plan/plan-service.js';
import { newFingerprintKey } from '../secrets/fingerprint.js';
import { serviceNameOf } from '../spec/service-spec.js';
import { healthChecksOf } from './desired-service.js';
import type { EngineDeps } from './engine-deps.js';
import { resolveSecrets } from './resolve-secrets.js';
import type { StatusResult } from './result.js';
import { providerContextFor, type RunContext } from './run-context.js';
import { validateForProvider } from './run-up.js';
import { completeObserved, historyWithLedger, readLedger } from './target-ledger.js';

/** `status`: the live service, one quick round of its health checks, drift and the last deploy. Read-only. */
export async function runStatus(
  deps: EngineDeps,
  run: RunContext,
  input: unknown,
  options: { checkHealth?: boolean } = {},
): Promise<StatusResult> {
  const spec = validateForProvider(deps, input);
  const target = { service: serviceNameOf(spec), name: spec.name, environment: spec.environment };
  run.target = target;
  const context = providerContextFor(run, 'plan');
  const [state, ledger, live] = await Promise.all([
    deps.state.read(target.service),
    readLedger(run, deps),
    deps.provider.observe(context, target),
  ]);
  const observed = completeObserved(live, ledger);
  const last = historyWithLedger(state?.history ?? [], ledger).at(-1);
  const revisions = deps.provider.listRevisions
    ? await deps.provider.listRevisions(context, target)
    : undefined;
  let healthy: boolean | undefined;
  if (observed?.url && options.checkHealth !== false) {
    const secrets = await resolveSecrets({
      spec,
      provider: deps.provider,
      context,
      target,
      sources: deps.secretSources,
      redactor: run.redactor,
      fingerprintKey: ledger?.fingerprintKey ?? state?.fingerprintKey ?? newFingerprintKey(),
      generate: false,
    }).catch(() => []);
    const report = await verifyHealth({
      url: observed.url,
      checks: healthChecksOf(spec, new Map(secrets.map((secret) => [secret.key, secret.value]))),
      timeoutMs: spec.health.attemptTimeoutMs,
      attemptTimeoutMs: spec.health.attemptTimeoutMs,
      intervalMs: spec.health.attemptTimeoutMs,
      clock: run.clock,
      fetch: deps.fetch,
    });
    healthy = report.healthy;
  }
  return run.redactor.value({
    service: target.service,
    exists: observed !== undefined,
    ...(observed?.url ? { url: observed.url } : {}),
    ...(observed?.revision ? { revision: observed.revision } : {}),
    ...(observed?.image ? { image: observed.image } : {}),
    ready: observed?.ready ?? false,
    ...(healthy !== undefined ? { healthy } : {}),
    env: observed?.env ?? {},
    secrets: Object.keys(observed?.secrets ?? {}).sort(),
    drift: [
      ...detectDrift(observed, state?.current),
      ...(observed?.running === false ? [{ path: 'running', recorded: true, observed: false }] : []),
      ...(observed && !observed.ready ? [{ path: 'ready', recorded: true, observed: false }] : []),
    ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    ...(last
      ? {
          lastDeploy: {
            id: last.id,
            status: last.status,
            at: last.endedAt,
            ...(last.revision ? { revision: last.revision } : {}),
          },
        }
      : {}),
    ...(revisions
      ? {
          revisions: revisions.map((revision) => ({
            revision: revision.revision,
            ...(revision.status ? { status: revision.status } : {}),
            ...(revision.traffic !== undefined ? { traffic: revision.traffic } : {}),
          })),
        }
      : {}),
  });
}
