import { hostname } from 'node:os';
import { LockError } from '../errors/index.js';
import type { LockOwner } from './state-store.js';

/** A lock as stored: its owner and when it expires. */
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

/** A lock is stale when its TTL passed, or its owner was a process on this host that no longer exists. */
export function isStale(record: LockRecord, now: number): boolean {
  if (record.expiresAt <= now) return true;
  return record.owner.host === hostname() && processIsGone(record.owner.pid);
}

function describeOwner(owner: LockOwner): string {
  return `${owner.user}@${owner.host} (pid ${owner.pid}, run ${owner.runId}, since ${owner.startedAt})`;
}

/** Decide what to do about an existing lock: take it over, or throw a `LockError` naming the owner. */
export function checkExistingLock(
  service: string,
  existing: LockRecord,
  options: { now: number; takeover?: boolean },
): void {
  const stale = isStale(existing, options.now);
  if (!stale)
    throw new LockError('LOCK_HELD', `Service ${service} is locked by ${describeOwner(existing.owner)}`, {
      details: { owner: existing.owner, expiresAt: new Date(existing.expiresAt).toISOString() },
    });
  if (!options.takeover)
    throw new LockError(
      'LOCK_STALE',
      `Service ${service} has a stale lock from ${describeOwner(existing.owner)}`,
      {
        details: { owner: existing.owner, expiresAt: new Date(existing.expiresAt).toISOString() },
      },
    );
}
