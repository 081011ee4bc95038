/**
 * The file store's lock: `lock.json` in the service's folder.
 *
 * - **Visible only once complete.** The record is written to a temp file (content, fsync, its mtime
 *   set to the expiry), then `link`ed to `lock.json`: `link` never replaces, so exactly one of
 *   several racing runs creates it, and nobody ever reads a half-written lock.
 * - **The content never changes; the expiry is the file's mtime.** `renew` sets the mtime through the
 *   holder's own open handle, so it touches only its own inode: after a release or a takeover it
 *   cannot re-create or extend anyone else's lock.
 * - **Every removal or replacement of a lock is claimed first.** Before taking over, releasing, or
 *   writing state under a lock, a process creates `lock.json.claim.<inode>.<n>` with O_EXCL: of
 *   several racing takeovers exactly one gets the claim, a release cannot unlink a lock someone is
 *   taking over, and a takeover cannot happen in the middle of the holder's state write (fencing).
 *   A claim left by a crashed process is stale after `CLAIM_STALE_MS` (or at once when its pid on
 *   this host is gone); the next claimer then uses `<n + 1>`.
 *
 * `proper-lockfile` was considered: it keeps no owner or token (no fencing, no `LOCK_HELD` naming
 * the owner) and removes a stale lock by delete-then-mkdir, where two takers can both win.
 */

import { type FileHandle, link, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { nodeCrypto, nodeFs } from '../ports/node-builtins.js';
import { decideTakeover, type LockRecord, lockHeldError, lockLostError } from './lock-rules.js';
import type { LockOptions, LockOwner, LockTakeover, StateLock } from './state-store.js';
import { syncFolder, tempPathFor } from './write-file-atomic.js';

/** A claim older than this belongs to a crashed process: claims are held for a few file operations. */
export const CLAIM_STALE_MS = 10_000;

/** What `lock.json` holds: who took it and the token that fences their writes. */
interface StoredLock {
  owner: LockOwner;
  token: string;
  ttlMs: number;
}

/** A lock file as found: its record (expiry from the mtime) and its inode. */
interface FoundLock {
  record: LockRecord;
  ino: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** Read `lock.json` with its inode and expiry; `undefined` when there is none. */
export async function readLockFile(path: string): Promise<FoundLock | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const info = await handle.stat();
    const text = await handle.readFile('utf8');
    let stored: Partial<StoredLock> & { expiresAt?: number } = {};
    try {
      stored = JSON.parse(text) as typeof stored;
    } catch {
      // A lock file of an older Berth cut short by a crash: its mtime (when it was written) is past,
      // so it reads as expired and is taken over.
    }
    return {
      ino: info.ino,
      record: {
        owner: stored.owner ?? { host: '?', user: '?', pid: 0, runId: '?', startedAt: '?' },
        token: stored.token ?? `inode-${info.ino}`,
        expiresAt: Math.floor(info.mtimeMs),
      },
    };
  } finally {
    await handle.close();
  }
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH';
  }
}

async function claimIsStale(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (Date.now() - info.mtimeMs > CLAIM_STALE_MS) return true;
    const claim = JSON.parse(await readFile(path, 'utf8')) as { host?: string; pid?: number };
    return claim.host === hostname() && typeof claim.pid === 'number' && processIsGone(claim.pid);
  } catch (error) {
    // Gone: the claim was finished. Empty or unreadable: just created, treat as fresh.
    return errorCode(error) === 'ENOENT';
  }
}

function claimPrefix(lockPath: string, ino: number): string {
  return `${basename(lockPath)}.claim.${ino}.`;
}

/** Claim the right to replace or remove the lock generation `ino`. The claim's path, or `undefined` when another process holds it. */
async function claim(lockPath: string, ino: number): Promise<string | undefined> {
  const folder = dirname(lockPath);
  const prefix = claimPrefix(lockPath, ino);
  const numbers = (await readdir(folder))
    .filter((name) => name.startsWith(prefix))
    .map((name) => Number(name.slice(prefix.length)))
    .filter((value) => Number.isInteger(value));
  const top = numbers.length > 0 ? Math.max(...numbers) : 0;
  if (top > 0 && !(await claimIsStale(join(folder, `${prefix}${top}`)))) return undefined;
  const path = join(folder, `${prefix}${top + 1}`);
  let handle: FileHandle;
  try {
    const { O_CREAT, O_EXCL, O_WRONLY } = nodeFs().constants;
    handle = await open(path, O_CREAT | O_EXCL | O_WRONLY, 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return undefined;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify({ host: hostname(), pid: process.pid }));
  } finally {
    await handle.close();
  }
  return path;
}

/** Remove every claim on generation `ino` (it no longer exists). */
async function dropClaims(lockPath: string, ino: number): Promise<void> {
  const folder = dirname(lockPath);
  const prefix = claimPrefix(lockPath, ino);
  for (const name of await readdir(folder).catch(() => [] as string[]))
    if (name.startsWith(prefix)) await unlink(join(folder, name)).catch(() => {});
}

/**
 * Run `body` while holding a claim on the lock at `lockPath` whose token is `fence`: nobody can take
 * it over or release it meanwhile. Throws `LOCK_LOST` when the lock is not (or no longer) that one.
 */
export async function withFencedLock<T>(
  service: string,
  lockPath: string,
  fence: string,
  body: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const found = await readLockFile(lockPath);
    if (found?.record.token !== fence) throw lockLostError(service, found?.record.owner);
    const claimed = await claim(lockPath, found.ino);
    if (!claimed) {
      // Someone is taking the lock over (it expired) or our own release runs: look again shortly.
      await sleep(5 + attempt * 5);
      continue;
    }
    try {
      const again = await readLockFile(lockPath);
      if (again?.ino !== found.ino) throw lockLostError(service, again?.record.owner);
      return await body();
    } finally {
      await unlink(claimed).catch(() => {});
    }
  }
  throw lockLostError(service);
}

/** Write the complete lock record to a temp file whose mtime is the expiry; the caller links or renames it. */
async function prepareLockFile(lockPath: string, stored: StoredLock, expiresAt: number) {
  const temp = tempPathFor(lockPath);
  const { O_CREAT, O_EXCL, O_RDWR } = nodeFs().constants;
  const handle = await open(temp, O_CREAT | O_EXCL | O_RDWR, 0o600);
  try {
    await handle.writeFile(JSON.stringify(stored));
    await handle.utimes(new Date(), new Date(expiresAt));
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  return { temp, handle, ino: (await handle.stat()).ino };
}

/** Take the lock at `lockPath` (see the file's comment for how). */
export async function takeFileLock(
  service: string,
  lockPath: string,
  options: LockOptions,
): Promise<StateLock> {
  const stored: StoredLock = { owner: options.owner, token: nodeCrypto().randomUUID(), ttlMs: options.ttlMs };
  const prepared = await prepareLockFile(lockPath, stored, options.now + options.ttlMs);
  let takeover: LockTakeover | undefined;
  try {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await link(prepared.temp, lockPath);
        break;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const existing = await readLockFile(lockPath);
      if (!existing) continue;
      // A live lock: LOCK_HELD now, before claiming anything.
      decideTakeover(service, existing.record, options);
      const claimed = await claim(lockPath, existing.ino);
      if (!claimed) {
        // Another run is taking it over or its holder is releasing or writing: its outcome decides.
        if (attempt >= 40) throw lockHeldError(service, existing.record);
        await sleep(5 + attempt * 5);
        continue;
      }
      try {
        const again = await readLockFile(lockPath);
        if (again?.ino !== existing.ino) continue;
        takeover = decideTakeover(service, again.record, options);
        await rename(prepared.temp, lockPath);
        break;
      } finally {
        await unlink(claimed).catch(() => {});
        if (takeover) await dropClaims(lockPath, existing.ino);
      }
    }
  } catch (error) {
    await prepared.handle.close();
    await unlink(prepared.temp).catch(() => {});
    throw error;
  }
  await unlink(prepared.temp).catch(() => {});
  await syncFolder(dirname(lockPath));
  return heldFileLock(service, lockPath, stored, prepared.handle, prepared.ino, takeover);
}

function heldFileLock(
  service: string,
  lockPath: string,
  stored: StoredLock,
  handle: FileHandle,
  ino: number,
  takeover: LockTakeover | undefined,
): StateLock {
  let released = false;
  // Renewals and the release run one at a time, so a renew in flight finishes before the release.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => {});
    return next;
  };
  const currentHolder = async () => readLockFile(lockPath).catch(() => undefined);
  return {
    owner: stored.owner,
    fence: stored.token,
    ...(takeover ? { takeover } : {}),
    renew: (now: number) =>
      serial(async () => {
        if (released) return;
        const found = await currentHolder();
        if (found?.ino !== ino) throw lockLostError(service, found?.record.owner);
        // Through our own handle: this touches our inode only, never a lock file that replaced it.
        await handle.utimes(new Date(), new Date(now + stored.ttlMs));
      }),
    release: () =>
      serial(async () => {
        if (released) return;
        released = true;
        try {
          const found = await currentHolder();
          if (found?.ino !== ino) return;
          const claimed = await claim(lockPath, ino);
          // A claim by someone else: they are taking over an expired lock; it is theirs to replace.
          if (!claimed) return;
          try {
            const again = await currentHolder();
            if (again?.ino === ino) await unlink(lockPath);
          } finally {
            await dropClaims(lockPath, ino);
          }
        } finally {
          await handle.close().catch(() => {});
        }
      }),
  };
}
