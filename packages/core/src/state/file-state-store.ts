import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { StateError } from '../errors/index.js';
import { takeFileLock, withFencedLock } from './file-lock.js';
import { ensureGitIgnored } from './git-ignore.js';
import { checkHistoryAppend } from './lock-rules.js';
import { migrateState } from './migrate-state.js';
import type { LockOptions, ServiceState, StateLock, StateStore, WriteOptions } from './state-store.js';
import { removeOrphanTempFiles, writeFileAtomic } from './write-file-atomic.js';

/** Options of `fileStateStore`. */
export interface FileStateStoreOptions {
  /** Folder holding one sub-folder per service. Default `.deployment` in the working directory. */
  dir?: string;
  /** Add the folder to the enclosing git repository's `.gitignore` when creating it. Default true. */
  gitIgnore?: boolean;
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

/**
 * State in files: `<dir>/<service>/state.json` (current state and the append-only history) and
 * `<dir>/<service>/lock.json` (file-lock.ts). Writes are atomic, so a process killed mid-write leaves
 * the previous state readable; a write with a fence happens only while its lock is still held. No
 * secret value is ever written. For one machine: runs on other machines do not see these files.
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

  async function read(service: string): Promise<ServiceState | undefined> {
    const raw = await readJson(stateFile(service));
    return raw === undefined ? undefined : migrateState(raw, stateFile(service));
  }

  async function replace(service: string, state: ServiceState): Promise<void> {
    const stored = await read(service);
    if (stored) checkHistoryAppend(service, stored.history, state.history);
    await writeFileAtomic(stateFile(service), `${JSON.stringify(state, null, 2)}\n`);
  }

  return {
    dir,
    read,
    async write(service, state: ServiceState, writeOptions: WriteOptions = {}) {
      await prepare();
      await mkdir(folderOf(service), { recursive: true, mode: 0o700 });
      if (writeOptions.fence === undefined) await replace(service, state);
      else
        await withFencedLock(service, lockFile(service), writeOptions.fence, () => replace(service, state));
      await removeOrphanTempFiles(folderOf(service));
    },
    async remove(service) {
      await rm(folderOf(service), { recursive: true, force: true });
    },
    async lock(service, lockOptions: LockOptions): Promise<StateLock> {
      await prepare();
      await mkdir(folderOf(service), { recursive: true, mode: 0o700 });
      await removeOrphanTempFiles(folderOf(service));
      return takeFileLock(service, lockFile(service), lockOptions);
    },
  };
}
