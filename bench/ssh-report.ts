/** The SSH benches' report: a text table for the terminal and the Markdown of docs/performance.md's "SSH" section. Pure. */
import type { Machine } from './machine.ts';
import type { Summary } from './measure.ts';

/** What a row must meet: Berth/comparison at most `ratio`, Berth's median under `ms`, or Berth − comparison under `overheadMs`. */
export interface SshTarget {
  ratio?: number;
  ms?: number;
  overheadMs?: number;
}

/** One measured figure and its comparison, from the same run. */
export interface SshBenchRow {
  name: string;
  berth: Summary;
  comparisonName: string;
  comparison: Summary;
  target?: SshTarget;
}

/** Everything one SSH bench run measured. */
export interface SshBenchResults {
  date: string;
  machine: Machine;
  /** The 1-minute load average when the run started and ended (the machine is shared). */
  loadAverage: { start: number; end: number };
  rows: SshBenchRow[];
  importOverhead?: { providerSsh: number; core: number };
  durationSeconds?: number;
}

const sectionStart = '<!-- bench:ssh:start -->';
const sectionEnd = '<!-- bench:ssh:end -->';

function ms(value: number): string {
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}

function verdict(row: SshBenchRow): string {
  const { target } = row;
  if (!target) return '';
  const checks: string[] = [];
  if (target.ratio !== undefined)
    checks.push(
      `${row.berth.median / row.comparison.median <= target.ratio ? 'met' : 'missed'} (≤ ${target.ratio.toFixed(2)}×)`,
    );
  if (target.ms !== undefined)
    checks.push(`${row.berth.median < target.ms ? 'met' : 'missed'} (< ${ms(target.ms)})`);
  if (target.overheadMs !== undefined)
    checks.push(
      `${row.berth.median - row.comparison.median < target.overheadMs ? 'met' : 'missed'} (+${ms(row.berth.median - row.comparison.median)}, < +${ms(target.overheadMs)})`,
    );
  return checks.join(', ');
}

function cells(row: SshBenchRow): string[] {
  return [
    row.name,
    `${ms(row.berth.median)} (min ${ms(row.berth.min)}, n=${row.berth.samples})`,
    row.comparisonName,
    `${ms(row.comparison.median)} (min ${ms(row.comparison.min)})`,
    `${(row.berth.median / row.comparison.median).toFixed(2)}×`,
    verdict(row),
  ];
}

const header = ['measure', 'Berth (median)', 'compared to', 'its median', 'ratio', 'target'];

/** The terminal table. */
export function renderSshText(results: SshBenchResults): string {
  const rows = [header, ...results.rows.map(cells)];
  const widths = header.map((_, column) => Math.max(...rows.map((cellsOf) => cellsOf[column]!.length)));
  return rows
    .map((cellsOf) => cellsOf.map((cell, column) => cell.padEnd(widths[column]!)).join('  '))
    .join('\n');
}

/** The results block of the "SSH" section, between its markers. */
export function renderSshMarkdown(results: SshBenchResults): string {
  const { machine } = results;
  const lines = [
    sectionStart,
    `Measured on ${results.date.slice(0, 10)} (${results.date}) by \`pnpm bench --only ssh\`${results.durationSeconds ? `, ${Math.round(results.durationSeconds)} s in all` : ''}.`,
    '',
    `**Machine:** ${machine.os}, kernel ${machine.kernel}; ${machine.cpus} CPUs (${machine.cpuModel}); ${machine.memoryGiB} GiB memory; Node ${machine.node}; 1-minute load average ${results.loadAverage.start.toFixed(1)} at the start, ${results.loadAverage.end.toFixed(1)} at the end. Hosts: the test sshd (127.0.0.1:2222, this machine) for SFTP and the docker method, the systemd host (127.0.0.1:2223, a systemd container on this machine) for commands and the systemd method.`,
    '',
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...results.rows.map((row) => `| ${cells(row).join(' | ')} |`),
    sectionEnd,
  ];
  return lines.join('\n');
}

/** `document` with its SSH results block replaced. */
export function replaceSshSection(document: string, section: string): string {
  const start = document.indexOf(sectionStart);
  const end = document.indexOf(sectionEnd);
  if (start === -1 || end < start)
    throw new Error(`docs/performance.md has no ${sectionStart} … ${sectionEnd} section`);
  return document.slice(0, start) + section + document.slice(end + sectionEnd.length);
}
