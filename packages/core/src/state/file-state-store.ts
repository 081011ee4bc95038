import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { StateError } from '../errors/index.js';
import { nodeCrypto, nodeFs } from '../ports/node-builtins.js';

const createExclusive = (): number => {
  const { O_CREAT, O_EXCL, O_WRONLY } = nodeFs().constants;
  return O_CREAT | O_EXCL | O_WRONLY;
};

import { ensureGitIgnored } from './git-ignore.js';
import { checkExistingLock, type LockRecord } from './lock-rules.js';
import { migrateState } from './migrate-state.js';
import type { LockOptions, ServiceState, StateLock, StateStore } from './state-store.js';

/** Options of `fileStateStore`. */
export interface FileStateStoreOptions {
  /** Folder holding one sub-folder per service. Default `.deployment` in the working directory. */
  dir?: string;
  /** Add the folder to the enclosing git repository's `.gitignore` when creating it. Default true. */
  gitIgnore?: boolean;
}

/** Write `data` to `path` atomically: temp file, fsync, rename, fsync of the folder. */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const temp = `${path}.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, createExclusive(), mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync().catch(() => {});
  } finally {
    await folder.close();
  }
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StateError('STATE_CORRUPT', `State file ${path} is not valid JSON`, { cause: error });
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Remove temp files left by writers that were killed mid-write (their pid is gone). */
async function removeOrphanTempFiles(folder: string): Promise<void> {
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const match = name.match(/\.(\d+)\.[0-9a-f]{8}\.tmp$/);
    if (match && Number(match[1]) !== process.pid && !processIsAlive(Number(match[1])))
      await unlink(join(folder, name)).catch(() => {});
  }
}

/**
 * State in files: `<dir>/<service>/state.json` (current state and the append-only history) and
 * `<dir>/<service>/lock.json`. Writes are atomic, so a process killed mid-write leaves the previous
 * state readable. No secret value is ever written.
 */
export function fileStateStore(options: FileStateStoreOptions = {}): StateStore & { readonly dir: string } {
  const dir = resolve(options.dir ?? '.deployment');
  let prepared = false;

  async function prepare(): Promise<void> {
    if (prepared) return;
    const existed = await stat(dir).then(
      () => true,
      () => false,
    );
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!existed && options.gitIgnore !== false) await ensureGitIgnored(dir);
    prepared = true;
  }

  const folderOf = (service: string) => {
    const folder = join(dir, service);
    if (relative(dir, folder).includes('..') || folder.split(sep).includes('..'))
      throw new StateError('STATE_CORRUPT', `Invalid service name for a state folder: ${service}`);
    return folder;
  };
  const stateFile = (service: string) => join(folderOf(service), 'state.json');
  const lockFile = (service: string) => join(folderOf(service), 'lock.json');

  async function readLock(path: string): Promise<LockRecord | undefined> {
    try {
      return (await readJson(path)) as LockRecord | undefined;
    } catch {
      // A lock file cut short by a crash: treat it as expired, so only an explicit takeover removes it.
      return {
        owner: { host: '?', user: '?', pid: 0, runId: '?', startedAt: '?' },
        token: '?',
        expiresAt: 0,
      };
    }
  }

  return {
    dir,
    async read(service) {
      const raw = await readJson(stateFile(service));
      return raw === undefined ? undefined : migrateState(raw, stateFile(service));
    },
    async write(service, state: ServiceState) {
      await prepare();
      await mkdir(folderOf(service), { recursive: true, mode: 0o700 });
      await writeFileAtomic(stateFile(service), `${JSON.stringify(state, null, 2)}\n`);
      await removeOrphanTempFiles(folderOf(service));
    },
    async remove(service) {
      await rm(folderOf(service), { recursive: true, force: true });
    },
    async lock(service, lockOptions: LockOptions): Promise<StateLock> {
      await prepare();
      await mkdir(folderOf(service), { recursive: true, mode: 0o700 });
      const path = lockFile(service);
      const record: LockRecord = {
        owner: lockOptions.owner,
        token: nodeCrypto().randomUUID(),
        expiresAt: lockOptions.now + lockOptions.ttlMs,
      };
      const body = JSON.stringify(record);
      try {
        const handle = await open(path, createExclusive(), 0o600);
        try {
          await handle.writeFile(body);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const existing = await readLock(path);
        if (existing) checkExistingLock(service, existing, lockOptions);
        await writeFileAtomic(path, body);
        const after = await readLock(path);
        if (after?.token !== record.token) return this.lock(service, { ...lockOptions, takeover: false });
      }
      return {
        owner: lockOptions.owner,
        async renew(now: number) {
          const current = await readLock(path);
          if (current?.token !== record.token) return;
          record.expiresAt = now + lockOptions.ttlMs;
          await writeFileAtomic(path, JSON.stringify(record));
        },
        async release() {
          const current = await readLock(path);
          if (current?.token === record.token) await unlink(path).catch(() => {});
        },
      };
    },
  };
}
