/** The summary of a run: one block per service. Pure. */
import type { BerthErrorJson, PhaseRecord } from '@berth/core';
import { formatDuration, type Palette } from './terminal.js';

/** What the summary shows of one service. */
export interface ServiceLine {
  /** The deployed service, `${name}-${environment}`. */
  service: string;
  status: string;
  url?: string;
  revision?: string;
  digest?: string;
  phases?: PhaseRecord[];
  /** Masked secret values, by name. */
  secrets?: Record<string, string>;
  error?: BerthErrorJson | { code: string; message: string; hint?: string };
  /** Why a service was skipped, or other one-line facts. */
  note?: string;
}

const good = new Set(['succeeded', 'noop', 'destroyed']);

function shortDigest(digest: string | undefined): string | undefined {
  if (!digest) return undefined;
  const [algorithm, hex] = digest.includes('@') ? (digest.split('@')[1] ?? '').split(':') : digest.split(':');
  return hex ? `${algorithm}:${hex.slice(0, 12)}` : digest;
}

/** The summary lines. */
export function summaryLines(lines: ServiceLine[], colors: Palette): string[] {
  if (lines.length === 0) return [];
  const output = ['', colors.bold('Summary')];
  const width = Math.max(...lines.map((line) => line.service.length));
  for (const line of lines) {
    const mark = good.has(line.status)
      ? colors.green('✓')
      : line.status === 'skipped'
        ? colors.dim('-')
        : colors.red('✗');
    const total = line.phases?.reduce((sum, phase) => sum + phase.durationMs, 0);
    const facts = [
      line.url,
      line.revision ? `revision ${line.revision}` : undefined,
      shortDigest(line.digest),
      total !== undefined && total > 0 ? formatDuration(total) : undefined,
    ].filter(Boolean);
    output.push(
      `  ${mark} ${line.service.padEnd(width)}  ${line.status.padEnd(15)} ${facts.join('  ')}`.trimEnd(),
    );
    const timed = (line.phases ?? []).filter((phase) => phase.status !== 'skipped' && phase.durationMs >= 1);
    if (timed.length > 0)
      output.push(
        `      ${colors.dim(timed.map((phase) => `${phase.name} ${formatDuration(phase.durationMs)}`).join(' · '))}`,
      );
    for (const [name, masked] of Object.entries(line.secrets ?? {}))
      output.push(`      secret ${name} = ${masked}`);
    if (line.note) output.push(`      ${line.note}`);
    if (line.error) {
      output.push(`      ${colors.red(`${line.error.code}: ${line.error.message}`)}`);
      if (line.error.hint) output.push(`      hint: ${line.error.hint}`);
    }
  }
  return output;
}
