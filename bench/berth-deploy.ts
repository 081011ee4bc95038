/**
 * Berth's side of the benchmark: hello-agent's own spec (examples/hello-agent/spec.ts) deployed to the
 * local engine with `localDocker` and `dockerImageBuilder`, exactly as examples/hello-agent/deploy.ts
 * does, except that the build context, environment, host port and state/secret folders are the bench's.
 */
import {
  type BerthEvent,
  createDeployer,
  type DeployResult,
  fileStateStore,
  type ServiceSpecInput,
} from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { localDocker } from '@berth/provider-ssh';
import { helloAgentSpec } from '../examples/hello-agent/spec.ts';

/** Where one bench service lives. */
export interface BerthBenchTarget {
  /** Build context folder (a unique copy of hello-agent's app). */
  context: string;
  /** Environment label; the service is `hello-agent-<environment>`, its repository `berth/hello-agent-<environment>`. */
  environment: string;
  baseImage: string;
  registry: { host: string; username: string; password: string };
  hostPort: number;
  stateDir: string;
  secretsDir: string;
}

/** hello-agent's spec, built from `context`. */
export function benchSpec(target: BerthBenchTarget): ServiceSpecInput {
  const spec = helloAgentSpec({ baseImage: target.baseImage, environment: target.environment });
  if (!('build' in spec.image)) throw new Error('hello-agent builds its image');
  return { ...spec, image: { build: { ...spec.image.build, context: target.context } } };
}

/** Where the image phase's time went, from the moments its events arrived (ms). */
export interface ImagePhaseSplit {
  /** Phase start → first build output: fingerprint, registry lookup, git tag, context upload. */
  prepare: number;
  /** First build output → the builder's `Built …` log. */
  build: number;
  /** `Built …` → phase end: the git tag, its push, and the fingerprint tag added in the registry. */
  push: number;
}

/** What the bench keeps of one `up`. */
export interface BerthRun {
  result: DeployResult;
  /** `health-check` events seen (one per HTTP attempt). */
  healthAttempts: number;
  /** Build steps reported (0 when the build was skipped). */
  buildSteps: number;
  /** Present when the image was built and pushed. */
  imageSplit?: ImagePhaseSplit;
}

/**
 * One `up` with a deployer created for it, as a fresh `node deploy.ts` process would (module loading
 * excluded). Both `up`s of a service share its state and secret folders.
 */
export async function berthUp(target: BerthBenchTarget): Promise<BerthRun> {
  let healthAttempts = 0;
  let buildSteps = 0;
  // Events are delivered synchronously, so the listener's clock marks when each step happened.
  const moments: { start?: number; output?: number; built?: number; end?: number } = {};
  const onEvent = (event: BerthEvent) => {
    const now = performance.now();
    if (event.type === 'health-check') healthAttempts += 1;
    if (event.type === 'progress' && event.step === 'build') {
      buildSteps += 1;
      moments.output ??= now;
    }
    if (event.type === 'phase-start' && event.phase === 'image') moments.start = now;
    if (event.type === 'phase-end' && event.phase === 'image') moments.end = now;
    if (event.type === 'log' && event.message.startsWith('Built ')) moments.built = now;
  };
  const deployer = createDeployer({
    provider: localDocker({
      registry: target.registry,
      hostPort: target.hostPort,
      secretsDir: target.secretsDir,
    }),
    imageBuilder: dockerImageBuilder(),
    state: fileStateStore({ dir: target.stateDir }),
    onEvent,
  });
  const result = await deployer.up(benchSpec(target));
  const { start, output, built, end } = moments;
  const imageSplit =
    start !== undefined && output !== undefined && built !== undefined && end !== undefined
      ? { prepare: output - start, build: built - output, push: end - built }
      : undefined;
  return { result, healthAttempts, buildSteps, ...(imageSplit ? { imageSplit } : {}) };
}
