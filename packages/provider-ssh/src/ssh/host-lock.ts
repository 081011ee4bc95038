/**
 * A deploy lock on the host, so that two operators or CI jobs cannot change the same service at
 * once. The lock is a folder created with `mkdir` (atomic: exactly one creator wins) holding
 * `owner.json` (who, what, a token). Its age is the folder's mtime on the host's own clock, so
 * operators with skewed clocks agree; a holder renews it with `touch`. A lock older than its TTL
 * is taken over (the holder is presumed dead), with a warning.
 */
import { LockError } from '@berth/core';
import { nodeCrypto } from '@berth/core/plugin-kit';
import type { HostLayout } from './host-layout.js';
import { joinCommands, sh } from './remote-command.js';
import type { SshConnection } from './ssh-connection.js';

/** Who holds the lock, as written in `owner.json`. */
export interface LockOwner {
  /** e.g. `alice@laptop (pid 4242)` or `ci job 17`. */
  owner: string;
  /** e.g. `up`, `down`, `rollback` for a run lock; `deploy`, `build`, `restore`, `down` for one step. */
  operation: string;
  /** The engine run holding it, for a run lock (see host-run-lock.ts). */
  runId?: string;
  /** When the holder took it, by its clock (informational). */
  acquiredAt: string;
  ttlSeconds: number;
  /** Proves ownership for renew and release. */
  token: string;
}

/** What a refused `mkdir` found. Pure data, parsed from the host's answer. */
export interface LockConflict {
  hostNowSeconds: number;
  lockedAtSeconds: number;
  owner: LockOwner | undefined;
}

/** A lock this process holds. */
export interface HostLock {
  readonly owner: LockOwner;
  /** Push the expiry forward (call between long phases); throws `LOCK_HELD` when it is no longer ours. */
  renew(): Promise<void>;
  /** Remove the lock if it is still ours, and the service folder if nothing else is in it. */
  release(): Promise<void>;
}

/** Options of `acquireHostLock`. */
export interface AcquireLockOptions {
  owner: string;
  operation: string;
  /** The engine run that takes it, written in `owner.json`. */
  runId?: string;
  /** Default 15 minutes: longer than any deploy should take (renewals extend it). */
  ttlSeconds?: number;
  now?: () => number;
  /** Told when an expired lock is taken over. */
  warn?: (message: string) => void;
}

const acquiredExit = 0;
const heldExit = 3;

/** Parse the host's answer to a refused `mkdir`: a line `now mtime`, then `owner.json`. */
export function parseLockConflict(stdout: string): LockConflict {
  const [first = '', ...rest] = stdout.split('\n');
  const [now = '0', lockedAt = '0'] = first.trim().split(/\s+/);
  let owner: LockOwner | undefined;
  try {
    const value = JSON.parse(rest.join('\n')) as Partial<LockOwner>;
    if (
      typeof value.owner === 'string' &&
      typeof value.token === 'string' &&
      typeof value.ttlSeconds === 'number'
    ) {
      owner = value as LockOwner;
    }
  } catch {
    owner = undefined; // the holder died between mkdir and writing owner.json, or it is not ours
  }
  return { hostNowSeconds: Number(now) || 0, lockedAtSeconds: Number(lockedAt) || 0, owner };
}

/** Whether a conflicting lock has outlived its TTL (the default TTL when its owner is unreadable). */
export function isLockExpired(conflict: LockConflict, defaultTtlSeconds: number): boolean {
  const ttl = conflict.owner?.ttlSeconds ?? defaultTtlSeconds;
  return conflict.hostNowSeconds - conflict.lockedAtSeconds > ttl;
}

/**
 * Take the lock of `layout`'s service, or throw `LOCK_HELD` naming the holder and when the lock
 * expires. An expired lock is taken over once.
 */
export async function acquireHostLock(
  connection: SshConnection,
  layout: HostLayout,
  options: AcquireLockOptions,
): Promise<HostLock> {
  const ttlSeconds = options.ttlSeconds ?? 15 * 60;
  const owner: LockOwner = {
    owner: options.owner,
    operation: options.operation,
    ...(options.runId ? { runId: options.runId } : {}),
    acquiredAt: new Date((options.now ?? Date.now)()).toISOString(),
    ttlSeconds,
    token: nodeCrypto().randomBytes(12).toString('hex'),
  };
  const ownerFile = `${layout.lockDir}/owner.json`;
  const attempt = () =>
    connection.run(
      joinCommands(
        [
          sh`mkdir -p -- ${layout.serviceDir} || exit 4`,
          sh`if mkdir -- ${layout.lockDir} 2>/dev/null; then cat > ${ownerFile}; exit ${acquiredExit}; fi`,
          // The holder writes owner.json just after its mkdir: wait a moment for it, to name the holder.
          sh`i=0; while test -d ${layout.lockDir} && test ! -s ${ownerFile} && test $i -lt 20; do sleep 0.1; i=$((i+1)); done`,
          sh`printf '%s %s\\n' "$(date +%s)" "$(stat -c %Y -- ${layout.lockDir} 2>/dev/null || echo 0)"`,
          sh`cat -- ${ownerFile} 2>/dev/null`,
          sh`exit ${heldExit}`,
        ],
        ';',
      ),
      {
        stdin: `${JSON.stringify(owner)}\n`,
        allowExitCodes: [acquiredExit, heldExit],
        description: `lock ${layout.serviceDir}`,
      },
    );

  let result = await attempt();
  // Released between our mkdir and our look at it: try once more, as if nothing had been there.
  if (result.exitCode === heldExit && parseLockConflict(result.stdout).lockedAtSeconds === 0)
    result = await attempt();
  if (result.exitCode === heldExit) {
    const conflict = parseLockConflict(result.stdout);
    if (!isLockExpired(conflict, ttlSeconds)) throw heldError(connection, layout, conflict, ttlSeconds);
    options.warn?.(
      `Taking over the expired lock of ${layout.serviceDir} held by ${conflict.owner?.owner ?? 'an unknown owner'} since ${new Date(conflict.lockedAtSeconds * 1000).toISOString()}.`,
    );
    const stale = `${layout.lockDir}.stale-${owner.token}`;
    // Only move the lock we judged stale: a fresh lock taken meanwhile has another token.
    const guard = conflict.owner
      ? sh`grep -qF -- ${conflict.owner.token} ${ownerFile}`
      : sh`test ! -s ${ownerFile}`;
    await connection.run(sh`${guard} && mv -- ${layout.lockDir} ${stale} && rm -rf -- ${stale}`, {
      allowExitCodes: [0, 1],
      description: `take over the expired lock of ${layout.serviceDir}`,
    });
    result = await attempt();
    if (result.exitCode === heldExit)
      throw heldError(connection, layout, parseLockConflict(result.stdout), ttlSeconds);
  }

  const ifOurs = sh`grep -qF -- ${owner.token} ${ownerFile} 2>/dev/null`;
  return {
    owner,
    async renew() {
      const renewed = await connection.run(sh`${ifOurs} && touch -- ${layout.lockDir}`, {
        allowExitCodes: [0, 1, 2],
        description: `renew the lock of ${layout.serviceDir}`,
      });
      if (renewed.exitCode !== 0)
        throw new LockError(
          'LOCK_HELD',
          `The lock of ${layout.serviceDir} on ${connection.target} is no longer held by ${owner.owner}: it expired and was taken over, or was removed.`,
          {
            hint: `Another run may be changing the service: check ${layout.historyFile} on the host, then deploy again. Raise lockTtlSeconds if runs outlive it.`,
          },
        );
    },
    async release() {
      // A lock taken for a run that then changed nothing leaves no empty service folder behind.
      await connection.run(
        sh`if ${ifOurs}; then rm -rf -- ${layout.lockDir}; rmdir -- ${layout.serviceDir} 2>/dev/null; fi; true`,
        { description: `release the lock of ${layout.serviceDir}` },
      );
    },
  };
}

function heldError(
  connection: SshConnection,
  layout: HostLayout,
  conflict: LockConflict,
  ttlSeconds: number,
): LockError {
  const holder = conflict.owner
    ? `${conflict.owner.owner} (${conflict.owner.operation}${conflict.owner.runId ? `, run ${conflict.owner.runId}` : ''})`
    : 'an unknown owner';
  const lockedAt = new Date(conflict.lockedAtSeconds * 1000).toISOString();
  const expiresAt = new Date(
    (conflict.lockedAtSeconds + (conflict.owner?.ttlSeconds ?? ttlSeconds)) * 1000,
  ).toISOString();
  return new LockError(
    'LOCK_HELD',
    `${layout.serviceDir} on ${connection.target} is locked by ${holder} since ${lockedAt}; the lock expires at ${expiresAt}.`,
    {
      hint: `Wait for that run to finish. If it is dead, the lock is taken over after ${expiresAt}, or remove ${layout.lockDir} on the host.`,
      details: {
        owner: conflict.owner?.owner,
        operation: conflict.owner?.operation,
        ...(conflict.owner?.runId ? { runId: conflict.owner.runId } : {}),
        lockedAt,
        expiresAt,
      },
    },
  );
}
