import { open, readdir, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { nodeCrypto, nodeFs } from '../ports/node-builtins.js';

/** The temp file `writeFileAtomic` writes before renaming: `<path>.<pid>.<8 hex>.tmp`. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${nodeCrypto().randomBytes(4).toString('hex')}.tmp`;
}

/** fsync a folder so a rename or link in it survives a power cut. Best effort (some file systems refuse). */
export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync().catch(() => {});
  } finally {
    await handle.close();
  }
}

/**
 * Write `data` to `path` atomically: a temp file created with O_EXCL and `mode` from the start,
 * fsync, rename over `path`, fsync of the folder. A reader (or a process killed mid-write) sees the
 * old content or the new, never a mix. The one atomic-write helper of Berth.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const temp = tempPathFor(path);
  const { O_CREAT, O_EXCL, O_WRONLY } = nodeFs().constants;
  const handle = await open(temp, O_CREAT | O_EXCL | O_WRONLY, mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncFolder(dirname(path));
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Remove temp files `writeFileAtomic` left in `folder` when its writer was killed (the pid is gone). */
export async function removeOrphanTempFiles(folder: string): Promise<void> {
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const match = name.match(/\.(\d+)\.[0-9a-f]{8}\.tmp$/);
    if (match && Number(match[1]) !== process.pid && !processIsAlive(Number(match[1])))
      await unlink(join(folder, name)).catch(() => {});
  }
}
