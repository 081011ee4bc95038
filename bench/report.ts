/** Text renderings of bench results: the terminal table and the section of docs/performance.md. Pure. */
import type { BenchResults, ColdRatio } from './results-model.ts';
import { targets } from './results-model.ts';

const ms = (value: number) => `${Math.round(value)} ms`;
const mib = (value: number) => `${value.toFixed(1)} MiB`;
const times = (value: number) => `${value.toFixed(3)}×`;
const percent = (value: number) => `${(value * 100).toFixed(1)} %`;
const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
const signed = (value: number) => `${value >= 0 ? '+' : '−'}${ms(Math.abs(value))}`;

/** Markers around the generated section of docs/performance.md. */
export const sectionStart = '<!-- bench:results:start -->';
export const sectionEnd = '<!-- bench:results:end -->';

function rows(results: BenchResults): string[][] {
  const { summary } = results;
  return [
    ['run', 'median', 'min', 'max', 'peak RSS Δ (median)'],
    ...(
      [
        ['classic baseline cold deploy', summary.baselineCold, summary.memoryMiB.baselineCold],
        [
          'BuildKit baseline cold deploy',
          summary.baselineBuildkitCold,
          summary.memoryMiB.baselineBuildkitCold,
        ],
        ['Berth cold deploy', summary.berthCold, summary.memoryMiB.berthCold],
        ['Berth unchanged redeploy', summary.berthRedeploy, summary.memoryMiB.berthRedeploy],
      ] as const
    ).map(([name, wall, memory]) => [name, ms(wall.median), ms(wall.min), ms(wall.max), mib(memory.median)]),
  ];
}

function ratioRows(results: BenchResults): string[][] {
  const { ratios, verdict: met } = results;
  const cold = (name: string, ratio: ColdRatio, target: string, result: string) => [
    name,
    `${times(ratio.median)} (paired ${times(ratio.pairedMedian)})`,
    times(ratio.min),
    target,
    result,
  ];
  return [
    ['ratio', 'median', 'min', 'target', 'verdict'],
    cold(
      'Berth cold / classic baseline cold',
      ratios.cold,
      `≤ ${times(targets.coldRatio)} (budget)`,
      verdict(met.cold),
    ),
    cold(
      'Berth cold / classic baseline cold',
      ratios.cold,
      `≤ ${times(targets.coldGoal)} (goal)`,
      verdict(met.coldGoal),
    ),
    cold(
      'Berth cold / BuildKit baseline cold',
      ratios.coldVsBuildkit,
      `≤ ${times(targets.coldVsBuildkitGoal)} (goal)`,
      verdict(met.coldVsBuildkitGoal),
    ),
    cold('BuildKit baseline / classic baseline', ratios.buildkitVsClassic, '—', '—'),
    [
      'Berth unchanged / Berth cold',
      percent(ratios.redeploy.median),
      percent(ratios.redeploy.min),
      `< ${percent(targets.redeployRatio)}`,
      verdict(met.redeploy),
    ],
  ];
}

function comparisonRows(results: BenchResults): string[][] {
  return [
    [
      'cold deploy step (median)',
      'classic baseline',
      'BuildKit baseline',
      'Berth',
      'Berth − classic',
      'Berth − BuildKit',
    ],
    ...results.summary.comparison.map(({ step, baseline, baselineBuildkit, berth }) => [
      step,
      ms(baseline),
      ms(baselineBuildkit),
      ms(berth),
      signed(berth - baseline),
      signed(berth - baselineBuildkit),
    ]),
  ];
}

function phaseRows(results: BenchResults): string[][] {
  const { berthColdPhases, berthRedeployPhases } = results.summary;
  const names = [...new Set([...Object.keys(berthColdPhases), ...Object.keys(berthRedeployPhases)])];
  return [
    ['Berth phase (median)', 'cold', 'unchanged'],
    ...names.map((name) => [
      name,
      berthColdPhases[name] === undefined ? '—' : ms(berthColdPhases[name]),
      berthRedeployPhases[name] === undefined ? '—' : ms(berthRedeployPhases[name]),
    ]),
  ];
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

/** The terminal report. */
export function renderText(results: BenchResults): string {
  const { machine } = results;
  return [
    `hello-agent deploys, ${results.settings.iterations} iterations (+${results.settings.warmupIterations} warm-up), ${results.durationSeconds.toFixed(0)} s`,
    `${machine.os}, kernel ${machine.kernel}, ${machine.cpus} CPUs, ${machine.memoryGiB} GiB, Docker ${machine.docker} (${machine.storageDriver}), Node ${machine.node}`,
    '',
    textTable(rows(results)),
    '',
    textTable(ratioRows(results)),
    '',
    textTable(comparisonRows(results)),
    '',
    textTable(phaseRows(results)),
  ].join('\n');
}

/** The generated section of docs/performance.md. */
export function renderMarkdown(results: BenchResults): string {
  const { machine, settings } = results;
  return [
    sectionStart,
    `Measured on ${results.date.slice(0, 10)} (${results.date}) by \`pnpm bench\`: ${settings.iterations} interleaved iterations after ${settings.warmupIterations} warm-up, ${results.durationSeconds.toFixed(0)} s in all.`,
    '',
    `**Machine:** ${machine.os}, kernel ${machine.kernel}; ${machine.cpus} CPUs (${machine.cpuModel}); ${machine.memoryGiB} GiB memory; Docker Engine ${machine.docker} (API ${machine.dockerApi}, storage driver ${machine.storageDriver}, builders: ${machine.builder}); Node ${machine.node}.`,
    '',
    markdownTable(rows(results)),
    '',
    markdownTable(ratioRows(results)),
    '',
    "Where the time goes: the cold deploy side by side (medians per step, so they need not add up to the median total), then Berth's phases as `DeployResult.phases` reports them.",
    '',
    markdownTable(comparisonRows(results)),
    '',
    markdownTable(phaseRows(results)),
    sectionEnd,
  ].join('\n');
}

/** Replace the generated section of `document`; throws when its markers are missing. */
export function replaceSection(document: string, section: string): string {
  const start = document.indexOf(sectionStart);
  const end = document.indexOf(sectionEnd);
  if (start === -1 || end < start)
    throw new Error(`docs/performance.md has no ${sectionStart} … ${sectionEnd} section`);
  return document.slice(0, start) + section + document.slice(end + sectionEnd.length);
}
