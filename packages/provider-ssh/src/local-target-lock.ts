/**
 * The lock of a local-Docker service, kept with the target (this machine), so that two clones of a
 * project, or two deployers with separate state stores, cannot change the same service at once. A
 * file `<directory>/.locks/<service>.json` created exclusively (`O_EXCL`), holding the owner, a
 * token and an expiry; renewed by rewriting it, released only by its holder. A lock past its expiry,
 * or whose owner was a process on this host that no longer exists, is taken over with a warning.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { LockError, type ProviderLock, type ProviderLockRequest, type ServiceTarget } from '@berth/core';
import { nodeCrypto } from '@berth/core/plugin-kit';

/** What the lock file holds. */
export interface LocalLockOwner {
  host: string;
  user: string;
  pid: number;
  runId: string;
  operation: string;
  acquiredAt: string;
  expiresAt: string;
  token: string;
}

/** Options of `localTargetLock`. */
export interface LocalTargetLockOptions {
  /** Root folder of the local store; the lock lives in `<directory>/.locks/`. */
  directory: string;
  /** Time to live without renewal. Default 10 minutes. */
  ttlMs?: number;
  now?: () => number;
  /** Told when a stale lock is taken over. */
  warn?: (message: string) => void;
}

function operator(): { host: string; user: string; pid: number } {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry: keep "unknown".
  }
  return { host: hostname(), user, pid: process.pid };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stale: expired, or held by a process of this host that is gone. Pure but for the process check. */
export function isStale(owner: LocalLockOwner | undefined, now: number): boolean {
  if (!owner) return true;
  if (Date.parse(owner.expiresAt) <= now) return true;
  return owner.host === hostname() && !processAlive(owner.pid);
}

async function readOwner(path: string): Promise<LocalLockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LocalLockOwner;
  } catch {
    return undefined;
  }
}

async function createExclusive(path: string, owner: LocalLockOwner): Promise<boolean> {
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(owner));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Take the lock of `target` for one run; throws `LOCK_HELD` naming the holder when it is live. */
export async function localTargetLock(
  options: LocalTargetLockOptions,
  target: ServiceTarget,
  run: ProviderLockRequest,
): Promise<ProviderLock> {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const folder = join(options.directory, '.locks');
  const path = join(folder, `${target.service}.json`);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const token = nodeCrypto().randomBytes(16).toString('hex');
  const mine = (): LocalLockOwner => ({
    ...operator(),
    runId: run.runId,
    operation: run.operation,
    acquiredAt: new Date(now()).toISOString(),
    expiresAt: new Date(now() + ttlMs).toISOString(),
    token,
  });
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (await createExclusive(path, mine())) break;
    const holder = await readOwner(path);
    if (!isStale(holder, now())) {
      throw new LockError(
        'LOCK_HELD',
        `${target.service} is being changed by ${holder!.user}@${holder!.host} (pid ${holder!.pid}, ${holder!.operation}, run ${holder!.runId}) since ${holder!.acquiredAt}`,
        {
          hint: `Wait for that run to finish; its lock expires at ${holder!.expiresAt} unless renewed.`,
          details: { holder: { ...holder!, token: undefined } },
        },
      );
    }
    options.warn?.(
      `Taking over the stale lock of ${target.service} held by ${holder ? `${holder.user}@${holder.host} (pid ${holder.pid})` : 'an unreadable owner'}`,
    );
    // Move it aside first: of two runs taking over at once, one moves it and both race on O_EXCL.
    const aside = `${path}.stale-${nodeCrypto().randomBytes(4).toString('hex')}`;
    await rename(path, aside).then(
      () => rm(aside, { force: true }),
      () => {},
    );
    if (attempt === 2)
      throw new LockError('LOCK_HELD', `${target.service} is being locked by another run at this moment`, {
        hint: 'Retry in a moment.',
      });
  }
  const ours = async () => (await readOwner(path))?.token === token;
  return {
    ttlMs,
    async renew() {
      if (!(await ours()))
        throw new LockError('LOCK_HELD', `The lock of ${target.service} is no longer held by this run`);
      const next = `${path}.renew-${nodeCrypto().randomBytes(4).toString('hex')}`;
      const handle = await open(next, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(mine()));
      } finally {
        await handle.close();
      }
      await rename(next, path);
    },
    async release() {
      if (await ours()) await rm(path, { force: true });
    },
  };
}
