import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderText } from './report.ts';
import {
  type BaselineSample,
  type BenchResults,
  type BerthSample,
  summariseSamples,
  targets,
} from './results-model.ts';

const steps = { prepare: 50, build: 100, push: 100, run: 300, health: 200 };

function baseline(iteration: number, wallMs: number, builder: 'classic' | 'buildkit'): BaselineSample {
  return { iteration, order: 'first', builder, wallMs, peakRssDeltaBytes: 0, steps, healthPolls: 2 };
}

function berth(iteration: number, wallMs: number, status = 'succeeded'): BerthSample {
  return {
    iteration,
    order: 'third',
    wallMs,
    peakRssDeltaBytes: 1024 ** 2,
    status,
    phases: status === 'noop' ? { image: wallMs } : { image: 300, deploy: 300, verify: 200 },
    outsidePhasesMs: 10,
    healthAttempts: 1,
    healthRounds: 1,
    buildSteps: 3,
    imageSplit: { prepare: 100, build: 100, push: 100 },
  };
}

/** Three iterations: classic 1000/1100/1200 ms, BuildKit 700/800/900 ms, Berth as given. */
function samplesWith(berthCold: number[]): BenchResults['samples'] {
  return {
    baseline: [1000, 1100, 1200].map((wall, iteration) => baseline(iteration, wall, 'classic')),
    // Listed last iteration first: ratios pair samples by iteration, not by position.
    baselineBuildkit: [700, 800, 900]
      .map((wall, iteration) => baseline(iteration, wall, 'buildkit'))
      .reverse(),
    berthCold: berthCold.map((wall, iteration) => berth(iteration, wall)),
    berthRedeploy: [20, 25, 30].map((wall, iteration) => berth(iteration, wall, 'noop')),
  };
}

function resultsOf(samples: BenchResults['samples']): BenchResults {
  return {
    date: '2026-12-01T00:00:00.000Z',
    machine: {
      os: 'Test OS',
      kernel: '6',
      cpus: 2,
      cpuModel: 'cpu',
      memoryGiB: 1,
      docker: '20.10',
      dockerApi: '1.41',
      storageDriver: 'overlay2',
      builder: 'classic and BuildKit',
      node: 'v24',
    },
    settings: {
      iterations: 3,
      warmupIterations: 1,
      hostPort: 18080,
      baselineHealthIntervalMs: 200,
      budgetSeconds: 170,
    },
    samples,
    ...summariseSamples(samples),
    durationSeconds: 10,
  };
}

describe('bench results', () => {
  it('compares Berth with both baselines, median, minimum and per iteration', () => {
    const { ratios, summary } = summariseSamples(samplesWith([880, 990, 1320]));
    expect(summary.baselineCold.median).toBe(1100);
    expect(summary.baselineBuildkitCold.median).toBe(800);
    expect(ratios.cold).toEqual({ median: 0.9, min: 0.88, pairedMedian: 0.9 });
    expect(ratios.coldVsBuildkit.median).toBeCloseTo(990 / 800);
    expect(ratios.coldVsBuildkit.min).toBeCloseTo(880 / 700);
    // Per iteration: 880/700, 990/800, 1320/900.
    expect(ratios.coldVsBuildkit.pairedMedian).toBeCloseTo(880 / 700);
    expect(ratios.buildkitVsClassic.median).toBeCloseTo(800 / 1100);
  });

  it('meets the 0.90× goal only at or under it, and the BuildKit goal only when not behind BuildKit by hand', () => {
    expect(targets).toMatchObject({ coldRatio: 1.1, coldGoal: 0.9, coldVsBuildkitGoal: 1 });
    expect(summariseSamples(samplesWith([880, 990, 1320])).verdict).toEqual({
      cold: true,
      coldGoal: true,
      coldVsBuildkitGoal: false,
      redeploy: true,
    });
    expect(summariseSamples(samplesWith([1000, 1155, 1300])).verdict).toMatchObject({
      cold: true,
      coldGoal: false,
    });
    expect(summariseSamples(samplesWith([600, 780, 900])).verdict).toMatchObject({
      coldGoal: true,
      coldVsBuildkitGoal: true,
    });
  });

  it('puts the BuildKit baseline in the step comparison', () => {
    const [prepare] = summariseSamples(samplesWith([880, 990, 1320])).summary.comparison;
    expect(prepare).toEqual({
      step: 'image: prepare + context upload',
      baseline: 50,
      baselineBuildkit: 50,
      berth: 100,
    });
  });

  it('prints both baselines, the budget and both goals in the terminal and the docs', () => {
    const results = resultsOf(samplesWith([880, 990, 1320]));
    for (const report of [renderText(results), renderMarkdown(results)]) {
      expect(report).toContain('BuildKit baseline cold deploy');
      expect(report).toMatch(/Berth cold \/ classic baseline cold.*≤ 1\.100× \(budget\).*met/);
      expect(report).toMatch(/Berth cold \/ classic baseline cold.*≤ 0\.900× \(goal\).*met/);
      expect(report).toMatch(/Berth cold \/ BuildKit baseline cold.*≤ 1\.000× \(goal\).*MISSED/);
      expect(report).toMatch(/image: prepare \+ context upload.*50 ms.*50 ms.*100 ms.*\+50 ms.*\+50 ms/);
    }
  });
});
