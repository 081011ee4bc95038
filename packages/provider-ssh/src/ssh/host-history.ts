/**
 * The deploy history on the host, beside the releases (`<base>/<service>/history.jsonl`), so a
 * second operator (or CI) sees what the first did. One JSON object per line, appended; never
 * secret values (callers pass data already redacted).
 */
import type { JsonValue } from '@berth/core';
import type { HostLayout } from './host-layout.js';
import { joinCommands, sh } from './remote-command.js';
import type { SshConnection } from './ssh-connection.js';

/** One timed phase of a run. */
export interface HistoryPhase {
  name: string;
  status: 'succeeded' | 'failed' | 'skipped';
  durationMs: number;
}

/** One line of the host history. */
export interface HostHistoryEntry {
  /** ISO time the run ended. */
  at: string;
  /**
   * `deploy` (validation, transfer, build, start), `verify` (the engine's verify and register,
   * recorded by `sshHostHooks()`), `restore` (a rollback), `down`.
   */
  operation: 'deploy' | 'verify' | 'rollback' | 'down' | 'restore' | 'switch';
  status: 'succeeded' | 'failed' | 'rolled-back';
  service: string;
  revision?: string;
  releaseId?: string;
  /** Who ran it (the lock owner string). */
  operator: string;
  durationMs?: number;
  phases?: HistoryPhase[];
  /** Error code and message when it failed. */
  error?: { code: string; message: string };
  /** Anything else worth keeping (JSON). */
  data?: { [key: string]: JsonValue };
}

/** One line: JSON never contains a raw newline, so a line is always one entry. */
export function serializeHistoryEntry(entry: HostHistoryEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

function isEntry(value: unknown): value is HostHistoryEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.at === 'string' &&
    typeof entry.operation === 'string' &&
    typeof entry.status === 'string' &&
    typeof entry.service === 'string' &&
    typeof entry.operator === 'string'
  );
}

/** Parse the file, oldest first; a torn or foreign line is skipped, not fatal. */
export function parseHistory(text: string): HostHistoryEntry[] {
  const entries: HostHistoryEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isEntry(value)) entries.push(value);
    } catch {
      // A line cut by a crash mid-append.
    }
  }
  return entries;
}

/** Append one entry (a single `write` with O_APPEND: concurrent appends do not interleave). */
export async function appendHostHistory(
  connection: SshConnection,
  layout: HostLayout,
  entry: HostHistoryEntry,
): Promise<void> {
  await connection.run(
    joinCommands([sh`mkdir -p -- ${layout.serviceDir}`, sh`cat >> ${layout.historyFile}`]),
    { stdin: serializeHistoryEntry(entry), description: `append to ${layout.historyFile}` },
  );
}

/** The last `limit` entries, oldest first (empty when there is no history yet). */
export async function readHostHistory(
  connection: SshConnection,
  layout: HostLayout,
  limit = 100,
): Promise<HostHistoryEntry[]> {
  const result = await connection.run(
    sh`if test -f ${layout.historyFile}; then tail -n ${Math.max(1, Math.floor(limit))} -- ${layout.historyFile}; fi`,
    { description: `read ${layout.historyFile}` },
  );
  return parseHistory(result.stdout);
}
