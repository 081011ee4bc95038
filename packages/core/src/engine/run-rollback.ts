import { BerthError, toBerthError } from '../errors/index.js';
import { newFingerprintKey } from '../secrets/fingerprint.js';
import { serviceNameOf } from '../spec/service-spec.js';
import { healthChecksOf } from './desired-service.js';
import type { EngineDeps } from './engine-deps.js';
import { historyEntry, recordRun } from './record-run.js';
import { resolveSecrets } from './resolve-secrets.js';
import { findRollbackTarget, restoreAndVerify } from './restore-revision.js';
import type { DeployResult } from './result.js';
import { providerContextFor, type RunContext, runPhase } from './run-context.js';
import { currentOf, validateForProvider } from './run-up.js';
import { withServiceLock } from './service-lock.js';

/** Options of a manual `rollback`. */
export interface RollbackOptions {
  /** Revision to restore. Default: the most recent verified revision other than the current one. */
  to?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  takeoverStaleLock?: boolean;
}

/** Manual rollback: restore a recorded revision, verify it, record it. */
export async function runRollback(
  deps: EngineDeps,
  run: RunContext,
  input: unknown,
  options: RollbackOptions,
): Promise<DeployResult> {
  const startedAt = run.clock.now();
  const fail = (error: unknown): DeployResult =>
    run.redactor.value({
      status: 'failed',
      service: run.target.service,
      runId: run.runId,
      phases: run.phases,
      error: toBerthError(error).toJSON(),
    });
  try {
    const spec = await runPhase(run, 'validate', async () => validateForProvider(deps, input));
    run.target = { service: serviceNameOf(spec), name: spec.name, environment: spec.environment };
    return await withServiceLock(run, deps, { ...options, operation: 'rollback' }, async (state) => {
      const current = state?.current;
      const record = findRollbackTarget(state, {
        ...(options.to ? { to: options.to } : {}),
        ...(current ? { exclude: current.revision } : {}),
      });
      if (!record || !state)
        throw options.to
          ? new BerthError(
              'REVISION_NOT_FOUND',
              `Revision ${options.to} is not in the history of ${run.target.service}`,
            )
          : new BerthError(
              'NO_HEALTHY_REVISION',
              `No earlier verified revision of ${run.target.service} to roll back to`,
            );
      const secrets = await resolveSecrets({
        spec,
        provider: deps.provider,
        context: providerContextFor(run, 'rollback'),
        target: run.target,
        sources: deps.secretSources,
        redactor: run.redactor,
        fingerprintKey: state.fingerprintKey ?? newFingerprintKey(),
        generate: false,
      });
      const secretValues = new Map(secrets.map((secret) => [secret.key, secret.value]));
      const restored = await restoreAndVerify(run, deps, {
        record,
        reason: 'manual rollback',
        spec,
        checks: healthChecksOf(spec, secretValues),
        secretValues,
        ...(current ? { from: current.revision } : {}),
      });
      const ok = restored.outcome.status === 'succeeded';
      const url = restored.applied?.url ?? record.url;
      const entry = historyEntry(run, startedAt, {
        kind: 'rollback',
        status: ok ? 'succeeded' : 'rollback-failed',
        revision: record.revision,
        ...(current ? { previousRevision: current.revision, rolledBackFrom: current.revision } : {}),
        image: record.desired.image,
        verified: ok,
        record,
        ...(restored.outcome.error ? { error: restored.outcome.error } : {}),
      });
      const nextCurrent = { ...currentOf(run, { ...record, ...(url ? { url } : {}) }), verified: ok };
      await runPhase(run, 'record', () => recordRun(deps.state, run.redactor, state, entry, nextCurrent));
      return run.redactor.value({
        status: ok ? 'succeeded' : 'rollback-failed',
        service: run.target.service,
        runId: run.runId,
        ...(url ? { url } : {}),
        revision: record.revision,
        image: record.desired.image,
        phases: run.phases,
        ...(restored.outcome.health ? { health: restored.outcome.health } : {}),
        rollback: restored.outcome,
        ...(restored.outcome.error ? { error: restored.outcome.error } : {}),
      });
    });
  } catch (error) {
    return fail(error);
  }
}
