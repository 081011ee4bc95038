/** Text renderings of the health, import and whole-process parts of the bench. Pure. */
import type { HealthBench } from './health-bench.ts';
import type { ImportBench } from './import-bench.ts';
import type { ProcessBench } from './process-bench.ts';

/** Results of the parts of the bench beside the cold deploy. */
export interface ExtraResults {
  date: string;
  health?: HealthBench;
  imports?: ImportBench;
  process?: ProcessBench;
}

/** Markers around the generated extras section of docs/performance.md. */
export const extrasStart = '<!-- bench:extras:start -->';
export const extrasEnd = '<!-- bench:extras:end -->';

const ms = (value: number) => `${Math.round(value)} ms`;
const times = (value: number) => `${value.toFixed(2)}×`;
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const readiness = (delay: number) => (delay === 0 ? 'ready at once' : `starts after ${delay / 1000} s`);

function tables(results: ExtraResults): { title: string; rows: string[][] }[] {
  const out: { title: string; rows: string[][] }[] = [];
  const { health, imports, process } = results;
  if (health)
    out.push({
      title: `Health: verify's end minus the moment the service starts answering (target < ${health.targetMs} ms with the default schedule)`,
      rows: [
        ['service', 'schedule', 'median', 'max', 'runs', 'requests (median)', 'vs target', 'verdict'],
        ...health.cases.map((entry) => [
          readiness(entry.readyAfterMs),
          entry.schedule,
          ms(entry.lateMs.median),
          ms(entry.lateMs.max),
          String(entry.lateMs.samples),
          String(entry.attempts),
          times(entry.lateMs.median / health.targetMs),
          entry.schedule === 'default' ? verdict(entry.lateMs.max < health.targetMs) : '—',
        ]),
      ],
    });
  if (imports)
    out.push({
      title: `Import cost over \`node -e 0\` (median ${ms(imports.base.median)}; target < ${imports.targetMs} ms each)`,
      rows: [
        ['import', 'median', 'over node -e 0', 'ratio to node -e 0', 'verdict'],
        ...imports.cases.map((entry) => [
          `\`import('${entry.module}')\``,
          ms(entry.wall.median),
          `+${ms(entry.overBaseMs)}`,
          times(entry.wall.median / imports.base.median),
          verdict(entry.overBaseMs < imports.targetMs),
        ]),
      ],
    });
  if (process)
    out.push({
      title: `Unchanged redeploy as a whole process (target < ${process.targetMs} ms)`,
      rows: [
        ['process', 'median', 'min', 'max', 'ratio to node -e 0', 'heavy modules loaded', 'verdict'],
        [
          '`node -e 0`',
          ms(process.base.median),
          ms(process.base.min),
          ms(process.base.max),
          '1.00×',
          '—',
          '—',
        ],
        [
          '`node deploy.ts` → `noop`',
          ms(process.noop.median),
          ms(process.noop.min),
          ms(process.noop.max),
          times(process.noop.median / process.base.median),
          process.loaded,
          verdict(process.noop.median < process.targetMs),
        ],
      ],
    });
  return out;
}

function textTable(table: string[][]): string {
  const widths = table[0]!.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  return table
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function markdownTable(table: string[][]): string {
  const [head, ...body] = table;
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  return [line(head!), line(head!.map(() => '---')), ...body.map(line)].join('\n');
}

/** The terminal report of the extras. */
export function renderExtrasText(results: ExtraResults): string {
  return tables(results)
    .map(({ title, rows }) => `${title}\n${textTable(rows)}`)
    .join('\n\n');
}

/** The generated extras section of docs/performance.md. */
export function renderExtrasMarkdown(results: ExtraResults, machineLine: string): string {
  return [
    extrasStart,
    `Measured on ${results.date.slice(0, 10)} (${results.date}) by \`pnpm bench\`. ${machineLine}`,
    '',
    ...tables(results).flatMap(({ title, rows }) => [`**${title}**`, '', markdownTable(rows), '']),
    extrasEnd,
  ].join('\n');
}

/** Replace the extras section of `document`, or add it at the end when it is missing. */
export function replaceExtrasSection(document: string, section: string): string {
  const start = document.indexOf(extrasStart);
  const end = document.indexOf(extrasEnd);
  if (start === -1 || end < start) return `${document.trimEnd()}\n\n${section}\n`;
  return document.slice(0, start) + section + document.slice(end + extrasEnd.length);
}
