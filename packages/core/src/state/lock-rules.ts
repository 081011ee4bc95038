import { hostname } from 'node:os';
import { LockError, StateError } from '../errors/index.js';
import type { HistoryEntry, LockOwner, LockTakeover, LockTakeoverReason } from './state-store.js';

/** A lock as stored: its owner, its token (the fence) and when it expires (ms since the epoch). */
export interface LockRecord {
  owner: LockOwner;
  token: string;
  expiresAt: number;
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Why `record` may be taken over now, or `undefined` while it is live. */
export function staleReason(
  record: LockRecord,
  now: number,
): Exclude<LockTakeoverReason, 'forced'> | undefined {
  if (record.expiresAt <= now) return 'expired';
  if (record.owner.host === hostname() && processIsGone(record.owner.pid)) return 'owner-gone';
  return undefined;
}

/** A lock is stale when its TTL passed, or its owner was a process on this host that no longer exists. */
export function isStale(record: LockRecord, now: number): boolean {
  return staleReason(record, now) !== undefined;
}

/** Who holds a lock, for messages: `user@host (pid, run, since)`. */
export function describeOwner(owner: LockOwner): string {
  return `${owner.user}@${owner.host} (pid ${owner.pid}, run ${owner.runId}, since ${owner.startedAt})`;
}

/** The `LOCK_HELD` error for a live lock: retryable, with the owner and the expiry as data. */
export function lockHeldError(service: string, existing: LockRecord): LockError {
  const expiresAt = new Date(existing.expiresAt).toISOString();
  return new LockError(
    'LOCK_HELD',
    `Service ${service} is locked by ${describeOwner(existing.owner)} until ${expiresAt} unless renewed`,
    { details: { owner: existing.owner, expiresAt } },
  );
}

/** The `LOCK_LOST` error: this run's lock was released or taken over, so it may not write. */
export function lockLostError(service: string, holder?: LockOwner): LockError {
  return new LockError(
    'LOCK_LOST',
    holder
      ? `This run no longer holds the lock of ${service}: ${describeOwner(holder)} took it over`
      : `This run no longer holds the lock of ${service}`,
    holder ? { details: { owner: holder } } : {},
  );
}

/**
 * Decide what to do about an existing lock: return the takeover to record, or throw `LOCK_HELD`
 * naming the owner. Pure but for the liveness probe of a local owner's pid.
 */
export function decideTakeover(
  service: string,
  existing: LockRecord,
  options: { now: number; takeover?: boolean },
): LockTakeover {
  const reason = staleReason(existing, options.now) ?? (options.takeover ? 'forced' : undefined);
  if (!reason) throw lockHeldError(service, existing);
  return {
    previousOwner: existing.owner,
    expiresAt: new Date(existing.expiresAt).toISOString(),
    reason,
  };
}

/**
 * History is append-only: the next state's history must start with the stored one (same ids, same
 * order). Throws `STATE_CONFLICT` otherwise.
 */
export function checkHistoryAppend(
  service: string,
  stored: readonly Pick<HistoryEntry, 'id'>[],
  next: readonly Pick<HistoryEntry, 'id'>[],
): void {
  const rewritten =
    next.length < stored.length || stored.some((entry, index) => next[index]?.id !== entry.id);
  if (rewritten)
    throw new StateError(
      'STATE_CONFLICT',
      `The write would change the recorded history of ${service} (${stored.length} entries stored, history is append-only)`,
      { details: { stored: stored.length, written: next.length } },
    );
}
