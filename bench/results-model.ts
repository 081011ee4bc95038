/** The shape of `bench/results/latest.json` and how its summary is computed. Pure. */
import type { Machine } from './machine.ts';
import { type Summary, summarise } from './measure.ts';

/** Targets from the performance issue. */
export const targets = {
  /** Berth cold deploy / baseline cold deploy (medians). */
  coldRatio: 1.1,
  /** Berth unchanged redeploy / Berth cold deploy (medians). */
  redeployRatio: 0.05,
} as const;

/** One baseline deploy. */
export interface BaselineSample {
  iteration: number;
  /** Whether it ran before or after Berth in its iteration. */
  order: 'first' | 'second';
  wallMs: number;
  peakRssDeltaBytes: number;
  steps: { prepare: number; build: number; push: number; run: number; health: number };
  healthPolls: number;
}

/** One Berth `up`. */
export interface BerthSample {
  iteration: number;
  order: 'first' | 'second';
  wallMs: number;
  peakRssDeltaBytes: number;
  status: string;
  /** Milliseconds of each phase that ran (skipped phases left out). */
  phases: Record<string, number>;
  /** Wall time not inside any phase: spec parsing, the state lock, reading state, building the result. */
  outsidePhasesMs: number;
  healthAttempts: number;
  healthRounds: number;
  buildSteps: number;
  /** The image phase split at its events (cold deploys). */
  imageSplit?: { prepare: number; build: number; push: number };
}

/** The steps both sides have, in order, for the side-by-side breakdown. */
export const comparableSteps = [
  'image: prepare + context upload',
  'image: build',
  'image: tag + push',
  'container: create + start',
  'health',
  'everything else',
] as const;

/** A deploy's wall time split into `comparableSteps` (ms). */
export type Breakdown = Record<(typeof comparableSteps)[number], number>;

function breakdownOf(steps: Omit<Breakdown, 'everything else'>, wallMs: number): Breakdown {
  const accounted = Object.values(steps).reduce((sum, value) => sum + value, 0);
  return { ...steps, 'everything else': Math.max(0, wallMs - accounted) };
}

/** A baseline deploy in comparable steps. Pure. */
export function baselineBreakdown(sample: BaselineSample): Breakdown {
  const { steps } = sample;
  return breakdownOf(
    {
      'image: prepare + context upload': steps.prepare,
      'image: build': steps.build,
      'image: tag + push': steps.push,
      'container: create + start': steps.run,
      health: steps.health,
    },
    sample.wallMs,
  );
}

/** A Berth cold deploy in comparable steps; "everything else" is validate, lock, preflight, plan, secrets, record. Pure. */
export function berthBreakdown(sample: BerthSample): Breakdown {
  const { phases } = sample;
  const split = sample.imageSplit ?? { prepare: 0, build: phases.image ?? 0, push: 0 };
  return breakdownOf(
    {
      'image: prepare + context upload': split.prepare,
      'image: build': split.build,
      'image: tag + push': split.push,
      'container: create + start': (phases.deploy ?? 0) + (phases.ready ?? 0) + (phases['public-url'] ?? 0),
      health: phases.verify ?? 0,
    },
    sample.wallMs,
  );
}

/** Everything one bench run measured. */
export interface BenchResults {
  date: string;
  machine: Machine;
  settings: {
    iterations: number;
    warmupIterations: number;
    hostPort: number;
    baselineHealthIntervalMs: number;
    budgetSeconds: number;
  };
  samples: { baseline: BaselineSample[]; berthCold: BerthSample[]; berthRedeploy: BerthSample[] };
  summary: {
    baselineCold: Summary;
    berthCold: Summary;
    berthRedeploy: Summary;
    memoryMiB: { baselineCold: Summary; berthCold: Summary; berthRedeploy: Summary };
    /** Median milliseconds per comparable step, both sides. */
    comparison: { step: string; baseline: number; berth: number }[];
    /** Median milliseconds per Berth phase (cold), plus `outside phases`. */
    berthColdPhases: Record<string, number>;
    berthRedeployPhases: Record<string, number>;
  };
  ratios: {
    cold: { median: number; min: number; pairedMedian: number };
    redeploy: { median: number; min: number };
  };
  verdict: { cold: boolean; redeploy: boolean };
  durationSeconds: number;
}

const mebibytes = (bytes: number) => bytes / 1024 ** 2;

function medianPerKey(records: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
  return Object.fromEntries(
    keys.map((key) => [key, summarise(records.map((record) => record[key] ?? 0)).median]),
  );
}

function comparison(samples: BenchResults['samples']): BenchResults['summary']['comparison'] {
  const baseline = medianPerKey(samples.baseline.map(baselineBreakdown));
  const berth = medianPerKey(samples.berthCold.map(berthBreakdown));
  return comparableSteps.map((step) => ({ step, baseline: baseline[step] ?? 0, berth: berth[step] ?? 0 }));
}

/** Summaries, ratios and verdicts of the samples. */
export function summariseSamples(
  samples: BenchResults['samples'],
): Pick<BenchResults, 'summary' | 'ratios' | 'verdict'> {
  const wall = (list: { wallMs: number }[]) => summarise(list.map((sample) => sample.wallMs));
  const memory = (list: { peakRssDeltaBytes: number }[]) =>
    summarise(list.map((sample) => mebibytes(sample.peakRssDeltaBytes)));
  const baselineCold = wall(samples.baseline);
  const berthCold = wall(samples.berthCold);
  const berthRedeploy = wall(samples.berthRedeploy);
  const paired = samples.berthCold.flatMap((cold) => {
    const baseline = samples.baseline.find((sample) => sample.iteration === cold.iteration);
    return baseline ? [cold.wallMs / baseline.wallMs] : [];
  });
  const phasesOf = (list: BerthSample[]) =>
    medianPerKey(list.map((sample) => ({ ...sample.phases, 'outside phases': sample.outsidePhasesMs })));
  const ratios = {
    cold: {
      median: berthCold.median / baselineCold.median,
      min: berthCold.min / baselineCold.min,
      pairedMedian: summarise(paired).median,
    },
    redeploy: { median: berthRedeploy.median / berthCold.median, min: berthRedeploy.min / berthCold.min },
  };
  return {
    summary: {
      baselineCold,
      berthCold,
      berthRedeploy,
      memoryMiB: {
        baselineCold: memory(samples.baseline),
        berthCold: memory(samples.berthCold),
        berthRedeploy: memory(samples.berthRedeploy),
      },
      comparison: comparison(samples),
      berthColdPhases: phasesOf(samples.berthCold),
      berthRedeployPhases: phasesOf(samples.berthRedeploy),
    },
    ratios,
    verdict: {
      cold: ratios.cold.median <= targets.coldRatio,
      redeploy: ratios.redeploy.median < targets.redeployRatio,
    },
  };
}
