/** The shape of `bench/results/latest.json` and how its summary is computed. Pure. */
import type { Machine } from './machine.ts';
import { type Summary, summarise } from './measure.ts';

/** Targets from the performance issue (ratios of medians). */
export const targets = {
  /** The budget: Berth cold deploy / classic baseline cold deploy, at most. */
  coldRatio: 1.1,
  /** The goal, "ahead of doing it by hand": Berth cold deploy / classic baseline cold deploy, at most. */
  coldGoal: 0.9,
  /** Berth ahead of the by-hand BuildKit flow too: Berth cold deploy / BuildKit baseline cold deploy, at most. */
  coldVsBuildkitGoal: 1.0,
  /** Berth unchanged redeploy / Berth cold deploy (medians). */
  redeployRatio: 0.05,
} as const;

/** Where a deploy ran in its iteration (results before the BuildKit baseline have no `third`). */
export type SampleOrder = 'first' | 'second' | 'third';

/** One baseline deploy. */
export interface BaselineSample {
  iteration: number;
  /** Where it ran in its iteration. */
  order: SampleOrder;
  /** The engine builder it built with (absent in results from before the BuildKit baseline: classic). */
  builder?: 'classic' | 'buildkit';
  wallMs: number;
  peakRssDeltaBytes: number;
  steps: { prepare: number; build: number; push: number; run: number; health: number };
  healthPolls: number;
}

/** One Berth `up`. */
export interface BerthSample {
  iteration: number;
  order: SampleOrder;
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

/** The steps every side has, in order, for the side-by-side breakdown. */
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

/** A baseline deploy (either builder) in comparable steps. Pure. */
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
  /** `baseline` is the classic-builder baseline (the only one before the BuildKit baseline was added). */
  samples: {
    baseline: BaselineSample[];
    baselineBuildkit: BaselineSample[];
    berthCold: BerthSample[];
    berthRedeploy: BerthSample[];
  };
  summary: {
    /** The classic-builder baseline. */
    baselineCold: Summary;
    baselineBuildkitCold: Summary;
    berthCold: Summary;
    berthRedeploy: Summary;
    memoryMiB: {
      baselineCold: Summary;
      baselineBuildkitCold: Summary;
      berthCold: Summary;
      berthRedeploy: Summary;
    };
    /** Median milliseconds per comparable step: classic baseline (`baseline`), BuildKit baseline, Berth. */
    comparison: { step: string; baseline: number; baselineBuildkit: number; berth: number }[];
    /** Median milliseconds per Berth phase (cold), plus `outside phases`. */
    berthColdPhases: Record<string, number>;
    berthRedeployPhases: Record<string, number>;
  };
  ratios: {
    /** Berth cold / classic baseline cold. */
    cold: ColdRatio;
    /** Berth cold / BuildKit baseline cold. */
    coldVsBuildkit: ColdRatio;
    /** BuildKit baseline cold / classic baseline cold: what the builder alone is worth. */
    buildkitVsClassic: ColdRatio;
    redeploy: { median: number; min: number };
  };
  /** `cold`: the budget; `coldGoal` and `coldVsBuildkitGoal`: the goals (see `targets`). */
  verdict: { cold: boolean; coldGoal: boolean; coldVsBuildkitGoal: boolean; redeploy: boolean };
  durationSeconds: number;
}

/** One side's cold deploy over another's: of the medians, of the minimums, and the median per iteration. */
export interface ColdRatio {
  median: number;
  min: number;
  pairedMedian: number;
}

const mebibytes = (bytes: number) => bytes / 1024 ** 2;
const wall = (list: { wallMs: number }[]) => summarise(list.map((sample) => sample.wallMs));

function coldRatio(
  numerator: { iteration: number; wallMs: number }[],
  denominator: { iteration: number; wallMs: number }[],
): ColdRatio {
  const [top, bottom] = [wall(numerator), wall(denominator)];
  const paired = numerator.flatMap((sample) => {
    const other = denominator.find((candidate) => candidate.iteration === sample.iteration);
    return other ? [sample.wallMs / other.wallMs] : [];
  });
  return {
    median: top.median / bottom.median,
    min: top.min / bottom.min,
    pairedMedian: summarise(paired).median,
  };
}

function medianPerKey(records: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
  return Object.fromEntries(
    keys.map((key) => [key, summarise(records.map((record) => record[key] ?? 0)).median]),
  );
}

function comparison(samples: BenchResults['samples']): BenchResults['summary']['comparison'] {
  const baseline = medianPerKey(samples.baseline.map(baselineBreakdown));
  const buildkit = medianPerKey(samples.baselineBuildkit.map(baselineBreakdown));
  const berth = medianPerKey(samples.berthCold.map(berthBreakdown));
  return comparableSteps.map((step) => ({
    step,
    baseline: baseline[step] ?? 0,
    baselineBuildkit: buildkit[step] ?? 0,
    berth: berth[step] ?? 0,
  }));
}

/** Summaries, ratios and verdicts of the samples. */
export function summariseSamples(
  samples: BenchResults['samples'],
): Pick<BenchResults, 'summary' | 'ratios' | 'verdict'> {
  const memory = (list: { peakRssDeltaBytes: number }[]) =>
    summarise(list.map((sample) => mebibytes(sample.peakRssDeltaBytes)));
  const baselineCold = wall(samples.baseline);
  const berthCold = wall(samples.berthCold);
  const berthRedeploy = wall(samples.berthRedeploy);
  const phasesOf = (list: BerthSample[]) =>
    medianPerKey(list.map((sample) => ({ ...sample.phases, 'outside phases': sample.outsidePhasesMs })));
  const ratios = {
    cold: coldRatio(samples.berthCold, samples.baseline),
    coldVsBuildkit: coldRatio(samples.berthCold, samples.baselineBuildkit),
    buildkitVsClassic: coldRatio(samples.baselineBuildkit, samples.baseline),
    redeploy: { median: berthRedeploy.median / berthCold.median, min: berthRedeploy.min / berthCold.min },
  };
  return {
    summary: {
      baselineCold,
      baselineBuildkitCold: wall(samples.baselineBuildkit),
      berthCold,
      berthRedeploy,
      memoryMiB: {
        baselineCold: memory(samples.baseline),
        baselineBuildkitCold: memory(samples.baselineBuildkit),
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
      coldGoal: ratios.cold.median <= targets.coldGoal,
      coldVsBuildkitGoal: ratios.coldVsBuildkit.median <= targets.coldVsBuildkitGoal,
      redeploy: ratios.redeploy.median < targets.redeployRatio,
    },
  };
}
