import { BerthError, toBerthError } from '../errors/index.js';
import { healthCheckFailure } from '../health/health-failure.js';
import type { HealthReport, ResolvedHealthCheck } from '../health/health-report.js';
import type { ApplyOutcome, DesiredService, RevisionRecord } from '../provider/provider.js';
import type { ServiceSpec } from '../spec/service-spec.js';
import type { ServiceState } from '../state/state-store.js';
import type { EngineDeps } from './engine-deps.js';
import type { RollbackOutcome } from './result.js';
import { providerContextFor, type RunContext, runPhase } from './run-context.js';
import { findRollbackTarget as findWithLedger } from './target-ledger.js';
import { verifyService } from './verify-service.js';

/**
 * The revision to roll back to, from the state alone: the named one, or else the most recent one that
 * passed verification and is not `exclude`. Pure. The engine also consults the target's ledger
 * (`findRollbackTarget` in `target-ledger.ts`).
 */
export function findRollbackTarget(
  state: ServiceState | undefined,
  options: { exclude?: string; to?: string },
): RevisionRecord | undefined {
  return findWithLedger(state, undefined, options);
}

/** Put secret values back for providers without a secret store (records never hold them). */
function withSecretValues(
  desired: DesiredService,
  values: Map<string, string | undefined>,
  needed: boolean,
): DesiredService {
  if (!needed) return desired;
  const secrets = Object.fromEntries(
    Object.entries(desired.secrets).map(([key, binding]) => {
      const value = values.get(key);
      return [key, value === undefined ? binding : { ...binding, value }];
    }),
  );
  return { ...desired, secrets };
}

/**
 * Serve `record` again (provider restore, or a redeploy of its image and settings), then verify it.
 * Runs as the `rollback` phase and emits `rollback-start` / `rollback-end`.
 */
export async function restoreAndVerify(
  run: RunContext,
  deps: EngineDeps,
  input: {
    record: RevisionRecord;
    from?: string;
    reason: string;
    spec: ServiceSpec;
    checks: ResolvedHealthCheck[];
    secretValues: Map<string, string | undefined>;
  },
): Promise<{ outcome: RollbackOutcome; applied?: ApplyOutcome }> {
  const { provider } = deps;
  const { record } = input;
  run.emit({
    type: 'rollback-start',
    to: record.revision,
    reason: input.reason,
    ...(input.from ? { from: input.from } : {}),
  });
  let applied: ApplyOutcome | undefined;
  let health: HealthReport | undefined;
  try {
    await runPhase(run, 'rollback', async () => {
      const context = providerContextFor(run, 'rollback');
      // Records never hold secret values; a provider without a store gets today's values back.
      const desired = withSecretValues(record.desired, input.secretValues, !provider.secrets);
      applied = provider.restoreRevision
        ? await provider.restoreRevision(context, run.target, { ...record, desired })
        : await provider.apply(context, desired, { reason: 'rollback' });
      if (provider.waitReady) applied = await provider.waitReady(context, run.target, applied);
      const url = applied.url ?? record.url;
      if (!url)
        throw new BerthError('ROLLBACK_FAILED', `The provider gave no URL for revision ${record.revision}`);
      health = await verifyService(run, deps, {
        url,
        spec: input.spec,
        checks: input.checks,
        revision: applied.revision,
      });
      if (!health.healthy) {
        const failure = healthCheckFailure(health, { revision: record.revision, url, restored: true });
        throw new BerthError('ROLLBACK_FAILED', failure.message, { details: failure.details ?? {} });
      }
      if (provider.finishRestore && provider.restoreRevision && applied) {
        const done = applied;
        await provider.finishRestore(context, run.target, done, 'commit').catch((error: unknown) =>
          run.emit({
            type: 'log',
            level: 'warn',
            message: `The restore of ${record.revision} could not be committed: ${toBerthError(error).message}`,
          }),
        );
      }
    });
  } catch (error) {
    if (provider.finishRestore && provider.restoreRevision && applied) {
      const done = applied;
      await provider
        .finishRestore(providerContextFor(run, 'rollback'), run.target, done, 'revert')
        .catch((revertError: unknown) =>
          run.emit({
            type: 'log',
            level: 'warn',
            message: `The restore of ${record.revision} could not be reverted: ${toBerthError(revertError).message}`,
          }),
        );
    }
    const berthError = toBerthError(error, 'ROLLBACK_FAILED');
    const json =
      berthError.code === 'ROLLBACK_FAILED'
        ? berthError.toJSON()
        : new BerthError('ROLLBACK_FAILED', berthError.message, { cause: berthError }).toJSON();
    run.emit({ type: 'rollback-end', to: record.revision, status: 'failed', error: json });
    return {
      outcome: {
        attempted: true,
        by: 'engine',
        to: record.revision,
        status: 'failed',
        reason: input.reason,
        error: json,
        ...(input.from ? { from: input.from } : {}),
        ...(health ? { health } : {}),
      },
      ...(applied ? { applied } : {}),
    };
  }
  run.emit({ type: 'rollback-end', to: record.revision, status: 'succeeded' });
  return {
    outcome: {
      attempted: true,
      by: 'engine',
      to: record.revision,
      status: 'succeeded',
      reason: input.reason,
      ...(input.from ? { from: input.from } : {}),
      ...(health ? { health } : {}),
    },
    ...(applied ? { applied } : {}),
  };
}
