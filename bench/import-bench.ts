/**
 * Import cost: `node -e "import('<package>')"` against `node -e 0`, interleaved, from bench/ so the
 * packages resolve to their built dist (run `pnpm build` first).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type Summary, summarise } from './measure.ts';

/** One package's import cost. */
export interface ImportCase {
  module: string;
  wall: Summary;
  /** Median of the module's process minus the median of `node -e 0`. */
  overBaseMs: number;
}

/** The import part of the bench. */
export interface ImportBench {
  base: Summary;
  cases: ImportCase[];
  /** Target: each package's import costs less than this over `node -e 0`. */
  targetMs: number;
}

const benchDir = fileURLToPath(new URL('.', import.meta.url));

function timeNode(code: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['-e', code], {
    cwd: benchDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const wall = performance.now() - started;
  if (result.status !== 0) throw new Error(`node -e ${code} failed: ${result.stderr}`);
  return wall;
}

/** Time each module's import `repeats` times, interleaved with `node -e 0`. */
export function benchImports(modules: string[], repeats: number): ImportBench {
  const base: number[] = [];
  const samples = new Map<string, number[]>(modules.map((module) => [module, []]));
  timeNode('0');
  for (let index = 0; index < repeats; index += 1) {
    base.push(timeNode('0'));
    for (const module of modules) samples.get(module)!.push(timeNode(`import(${JSON.stringify(module)})`));
  }
  const baseSummary = summarise(base);
  return {
    base: baseSummary,
    cases: modules.map((module) => {
      const wall = summarise(samples.get(module)!);
      return { module, wall, overBaseMs: wall.median - baseSummary.median };
    }),
    targetMs: 60,
  };
}
