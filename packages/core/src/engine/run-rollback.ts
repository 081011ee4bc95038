import { BerthError, toBerthError } from '../errors/index.js';
import { newFingerprintKey } from '../secrets/fingerprint.js';
import { serviceNameOf } from '../spec/service-spec.js';
import { healthChecksOf } from './desired-service.js';
import type { EngineDeps } from './engine-deps.js';
import { emptyState, historyEntry, recordRun } from './record-run.js';
import { resolveSecrets } from './resolve-secrets.js';
import { restoreAndVerify } from './restore-revision.js';
import type { DeployResult } from './result.js';
import { providerContextFor, type RunContext, runPhase } from './run-context.js';
import { currentOf, validateForProvider } from './run-up.js';
import { withServiceLock } from './service-lock.js';
import {
  findRollbackTarget,
  isVerifiedRevision,
  readLedger,
  recordOf,
  updateLedger,
  writeLedger,
} from './target-ledger.js';

/** Options of a manual `rollback`. */
export interface RollbackOptions {
  /** Revision to restore. Default: the most recent verified revision other than the current one. */
  to?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  takeoverStaleLock?: boolean;
}

/**
 * Manual rollback: restore a revision the state or the target's ledger knows, verify it, then record
 * what is observed to serve (a failed restore never records its target as current).
 */
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
      const context = providerContextFor(run, 'rollback');
      const [ledger, observed] = await Promise.all([
        readLedger(run, deps),
        deps.provider.observe(context, run.target).catch(() => undefined),
      ]);
      // What serves now is the truth; the state's `current` is only a cache of it.
      const from = observed?.revision ?? state?.current?.revision;
      const record = findRollbackTarget(state, ledger, {
        ...(options.to ? { to: options.to } : {}),
        ...(from ? { exclude: from } : {}),
      });
      if (!record)
        throw options.to
          ? new BerthError(
              'REVISION_NOT_FOUND',
              `Revision ${options.to} is not in the history of ${run.target.service}`,
            )
          : new BerthError(
              'NO_HEALTHY_REVISION',
              `No earlier verified revision of ${run.target.service} to roll back to`,
            );
      const base = state ?? emptyState(run.target, deps.provider.name);
      const fingerprintKey = ledger?.fingerprintKey ?? base.fingerprintKey ?? newFingerprintKey();
      const secrets = await resolveSecrets({
        spec,
        provider: deps.provider,
        context,
        target: run.target,
        sources: deps.secretSources,
        redactor: run.redactor,
        fingerprintKey,
        generate: false,
      });
      const secretValues = new Map(secrets.map((secret) => [secret.key, secret.value]));
      const restored = await restoreAndVerify(run, deps, {
        record,
        reason: 'manual rollback',
        spec,
        checks: healthChecksOf(spec, secretValues),
        secretValues,
        ...(from ? { from } : {}),
      });
      const ok = restored.outcome.status === 'succeeded';
      const now = new Date(run.clock.now()).toISOString();
      const nextLedger = updateLedger(
        ledger,
        { fingerprintKey, revisionCounter: base.revisionCounter },
        ok
          ? [{ revision: record.revision, record, verifiedAt: now, runId: run.runId }]
          : restored.outcome.health && !restored.outcome.health.healthy
            ? [{ revision: record.revision, record, failedAt: now }]
            : [],
      );
      // Observe what really serves after the restore (or its failure).
      const after = await deps.provider.observe(context, run.target).then(
        (value) => ({ value, known: true }),
        () => ({ value: undefined, known: false }),
      );
      const serving = after.known ? after.value?.revision : ok ? record.revision : from;
      const servingRecord =
        serving === record.revision ? record : serving ? recordOf(serving, state, ledger) : undefined;
      const servingVerified =
        serving === record.revision ? ok : isVerifiedRevision(serving, state, nextLedger);
      const url = after.value?.url ?? restored.applied?.url ?? servingRecord?.url;
      const status = ok && serving === record.revision ? 'succeeded' : 'rollback-failed';
      const entry = historyEntry(run, startedAt, {
        kind: 'rollback',
        status,
        revision: record.revision,
        ...(from ? { previousRevision: from, rolledBackFrom: from } : {}),
        image: record.desired.image,
        verified: ok,
        record,
        ...(restored.outcome.error ? { error: restored.outcome.error } : {}),
      });
      const nextCurrent = servingRecord
        ? { ...currentOf(run, { ...servingRecord, ...(url ? { url } : {}) }), verified: servingVerified }
        : after.known && !after.value
          ? undefined
          : 'keep';
      await runPhase(run, 'record', () =>
        Promise.all([
          recordRun(deps.state, run.redactor, { ...base, fingerprintKey }, entry, nextCurrent),
          writeLedger(run, deps, nextLedger),
        ]),
      );
      return run.redactor.value({
        status,
        service: run.target.service,
        runId: run.runId,
        ...(url ? { url } : {}),
        ...(serving ? { revision: serving } : {}),
        image: servingRecord?.desired.image ?? record.desired.image,
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
