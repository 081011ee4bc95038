/** The log file of one run: `.deployment/logs/<time>-<command>.log`, JSON Lines, redacted. */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redactor } from '@berth/core/plugin-kit';

/** A run's log file. Writes are synchronous so that a forced exit loses nothing. */
export interface RunLog {
  readonly path: string;
  write(entry: Record<string, unknown>): void;
}

/** Open the log file of a run in `dir` (created). Every entry passes through `redactor`. */
export function openRunLog(dir: string, command: string, redactor: Redactor, now = new Date()): RunLog {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `${stamp}-${command}-${process.pid}.log`);
  return {
    path,
    write(entry) {
      appendFileSync(path, `${redactor.text(JSON.stringify({ at: new Date().toISOString(), ...entry }))}\n`, {
        mode: 0o600,
      });
    },
  };
}
