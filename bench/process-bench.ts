/**
 * An unchanged redeploy as a whole process (`node deploy.ts` → `noop`), module loading included,
 * against `node -e 0` in the same run.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BerthBenchTarget } from './berth-deploy.ts';
import { type Summary, summarise } from './measure.ts';

/** The whole-process part of the bench. */
export interface ProcessBench {
  base: Summary;
  noop: Summary;
  /** Target: the whole `noop` process takes less than this. */
  targetMs: number;
  /** Heavy modules the `noop` process loaded (`-` for none). */
  loaded: string;
}

const script = fileURLToPath(new URL('./deploy-process.ts', import.meta.url));

function run(args: string[]): { wallMs: number; output: string; loaded: string } {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args[0]} failed: ${result.stdout}${result.stderr}`);
  const [output = '', loaded = ''] = result.stdout.trim().split('\n');
  return { wallMs, output, loaded };
}

/** Deploy `target` once (untimed), then time `repeats` unchanged redeploys, each a new process. */
export function benchNoopProcess(target: BerthBenchTarget, repeats: number): ProcessBench {
  const cold = run([script, JSON.stringify(target)]);
  if (cold.output !== 'succeeded') throw new Error(`process bench: the first deploy ended ${cold.output}`);
  const base: number[] = [];
  const noop: number[] = [];
  let loaded = '';
  for (let index = 0; index < repeats; index += 1) {
    base.push(run(['-e', '0']).wallMs);
    const redeploy = run([script, JSON.stringify(target)]);
    if (redeploy.output !== 'noop') throw new Error(`process bench: a redeploy ended ${redeploy.output}`);
    noop.push(redeploy.wallMs);
    loaded = redeploy.loaded;
  }
  return { base: summarise(base), noop: summarise(noop), targetMs: 250, loaded };
}
