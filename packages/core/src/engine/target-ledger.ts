import { toBerthError } from '../errors/index.js';
import {
  LEDGER_MAX_REVISIONS,
  type LedgerRevision,
  type ObservedService,
  type RevisionRecord,
  type TargetLedger,
} from '../provider/provider.js';
import type { HistoryEntry, ServiceState } from '../state/state-store.js';
import { revisionSequence } from './desired-service.js';
import type { EngineDeps } from './engine-deps.js';
import { providerContextFor, type RunContext } from './run-context.js';

/** Read the target's ledger; a provider without one, or a failed read (a `warn` event), gives `undefined`. */
export async function readLedger(run: RunContext, deps: EngineDeps): Promise<TargetLedger | undefined> {
  const store = deps.provider.ledger;
  if (!store) return undefined;
  try {
    const ledger = await store.read(providerContextFor(run, 'plan'), run.target);
    return ledger && ledger.version === 1 && Array.isArray(ledger.revisions) ? ledger : undefined;
  } catch (error) {
    run.emit({
      type: 'log',
      level: 'warn',
      message: `The target's ledger could not be read: ${toBerthError(error).message}`,
    });
    return undefined;
  }
}

/** Write the ledger, redacted; a failure is a `warn` event and never changes the run's outcome. */
export async function writeLedger(run: RunContext, deps: EngineDeps, ledger: TargetLedger): Promise<void> {
  const store = deps.provider.ledger;
  if (!store) return;
  try {
    await store.write(providerContextFor(run, 'record'), run.target, run.redactor.value(ledger));
  } catch (error) {
    run.emit({
      type: 'log',
      level: 'warn',
      message: `The target's ledger could not be written: ${toBerthError(error).message}`,
    });
  }
}

/** What changes for one revision in the ledger. */
export interface LedgerUpdate {
  revision: string;
  record?: RevisionRecord;
  deployedAt?: string;
  verifiedAt?: string;
  failedAt?: string;
  runId?: string;
}

/** A new ledger with `updates` applied, the newest `LEDGER_MAX_REVISIONS` kept. Pure. */
export function updateLedger(
  ledger: TargetLedger | undefined,
  base: { fingerprintKey: string; revisionCounter: number },
  updates: LedgerUpdate[],
): TargetLedger {
  const revisions = [...(ledger?.revisions ?? [])];
  for (const update of updates) {
    const index = revisions.findIndex((entry) => entry.revision === update.revision);
    const existing = index >= 0 ? revisions[index] : undefined;
    const record = update.record ?? existing?.record;
    if (!record) continue;
    const next: LedgerRevision = {
      ...existing,
      revision: update.revision,
      record,
      deployedAt: update.deployedAt ?? existing?.deployedAt ?? update.verifiedAt ?? update.failedAt ?? '',
      ...(update.verifiedAt ? { verifiedAt: update.verifiedAt } : {}),
      ...(update.failedAt ? { failedAt: update.failedAt } : {}),
      ...(update.runId ? { runId: update.runId } : {}),
    };
    if (index >= 0) revisions.splice(index, 1);
    revisions.push(next);
  }
  revisions.sort((left, right) => revisionSequence(left.revision) - revisionSequence(right.revision));
  return {
    version: 1,
    fingerprintKey: ledger?.fingerprintKey ?? base.fingerprintKey,
    revisionCounter: Math.max(ledger?.revisionCounter ?? 0, base.revisionCounter),
    revisions: revisions.slice(-LEDGER_MAX_REVISIONS),
  };
}

/** A revision's standing, from the ledger when it has the revision, else from the state's history. */
export function isVerifiedRevision(
  revision: string | undefined,
  state: ServiceState | undefined,
  ledger: TargetLedger | undefined,
): boolean {
  if (!revision) return false;
  const entry = ledger?.revisions.find((item) => item.revision === revision);
  if (entry) return passed(entry);
  if (state?.current?.revision === revision) return state.current.verified;
  const last = [...(state?.history ?? [])].reverse().find((item) => item.revision === revision);
  return last?.verified ?? false;
}

function passed(entry: LedgerRevision): boolean {
  if (!entry.verifiedAt) return false;
  return !entry.failedAt || entry.failedAt < entry.verifiedAt;
}

/** Every revision Berth knows about, from the ledger and the state, with what it ran. */
export function recordOf(
  revision: string,
  state: ServiceState | undefined,
  ledger: TargetLedger | undefined,
): RevisionRecord | undefined {
  const entry = ledger?.revisions.find((item) => item.revision === revision);
  if (entry) return entry.record;
  if (state?.current?.revision === revision) return state.current.record;
  return [...(state?.history ?? [])].reverse().find((item) => item.revision === revision && item.record)
    ?.record;
}

/**
 * The revision to roll back to: the named one, or else the newest one that passed verification (per
 * the ledger, which wins, and the state's history) and is not `exclude`. Pure.
 */
export function findRollbackTarget(
  state: ServiceState | undefined,
  ledger: TargetLedger | undefined,
  options: { exclude?: string; to?: string },
): RevisionRecord | undefined {
  if (options.to) return recordOf(options.to, state, ledger);
  const candidates = new Map<string, RevisionRecord>();
  for (const entry of state?.history ?? [])
    if (entry.revision && entry.record && entry.verified) candidates.set(entry.revision, entry.record);
  for (const entry of ledger?.revisions ?? []) candidates.set(entry.revision, entry.record);
  return [...candidates.entries()]
    .filter(([revision]) => revision !== options.exclude && isVerifiedRevision(revision, state, ledger))
    .sort(([left], [right]) => revisionSequence(right) - revisionSequence(left))[0]?.[1];
}

/** Fill the secret fingerprints a provider could not read from the ledger entry of the serving revision. */
export function completeObserved(
  observed: ObservedService | undefined,
  ledger: TargetLedger | undefined,
): ObservedService | undefined {
  if (!observed?.revision || !ledger) return observed;
  const record = ledger.revisions.find((entry) => entry.revision === observed.revision)?.record;
  if (!record) return observed;
  const secrets = Object.fromEntries(
    Object.entries(observed.secrets).map(([key, secret]) => [
      key,
      secret.fingerprint || !record.desired.secrets[key]
        ? secret
        : { ...secret, fingerprint: record.desired.secrets[key].fingerprint },
    ]),
  );
  return { ...observed, secrets };
}

/**
 * History as far as the target knows it: the state's entries, plus one `deploy` entry (id
 * `ledger:<revision>`) for each ledger revision the state's history does not name. Oldest first.
 */
export function historyWithLedger(history: HistoryEntry[], ledger: TargetLedger | undefined): HistoryEntry[] {
  const named = new Set(history.map((entry) => entry.revision).filter(Boolean));
  const missing = (ledger?.revisions ?? [])
    .filter((entry) => !named.has(entry.revision))
    .map(
      (entry): HistoryEntry => ({
        id: `ledger:${entry.revision}`,
        kind: 'deploy',
        status: entry.verifiedAt && passed(entry) ? 'succeeded' : 'failed',
        startedAt: entry.deployedAt,
        endedAt: entry.verifiedAt ?? entry.failedAt ?? entry.deployedAt,
        actor: { host: 'unknown', user: 'unknown', pid: 0 },
        revision: entry.revision,
        image: entry.record.desired.image,
        verified: passed(entry),
        record: entry.record,
        phases: [],
      }),
    );
  if (missing.length === 0) return history;
  return [...missing, ...history].sort((left, right) =>
    left.startedAt < right.startedAt ? -1 : left.startedAt > right.startedAt ? 1 : 0,
  );
}
