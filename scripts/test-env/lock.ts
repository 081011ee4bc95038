/** One run at a time per lock file: a file holding the owner's pid, taken over when that process is gone. */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TestEnvError } from './log.ts';
import { pidAlive, sleep } from './wait.ts';

function owner(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Waits up to `seconds` for the lock; returns its release. */
export async function acquireLock(file: string, seconds: number): Promise<() => void> {
  mkdirSync(dirname(file), { recursive: true });
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (owner(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = owner(file);
    const unwritten = holder === undefined && Date.now() - mtime(file) > 5000;
    if (unwritten || (holder !== undefined && !pidAlive(holder))) {
      // Left by a run that died (or by the bash version's flock, which never wrote a pid).
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline)
      throw new TestEnvError(`another scripts/test-env.sh still runs (pid ${holder ?? '?'}, lock: ${file})`);
    await sleep(500);
  }
}
