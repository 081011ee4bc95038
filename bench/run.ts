/**
 * `pnpm bench` (`node bench/run.ts`): a cold deploy and an unchanged redeploy of hello-agent through
 * Berth against two baselines doing the same steps straight through the Docker Engine API (one
 * building with the engine's classic builder, one with BuildKit), in one run on this machine. Prints the table and ratios, writes bench/results/latest.json, and with
 * `--write-docs` rewrites the results section of docs/performance.md.
 *
 *   node bench/run.ts [--iterations 10] [--budget-seconds 170] [--parts deploy,health,imports,process]
 *                     [--only local|ssh] [--ssh-iterations 5] [--write-docs]
 *
 * Beside the deploys (`deploy`), each in the same run: how soon `verify` ends after a service starts
 * answering (`health`), the import cost of @berth/core and @berth/provider-gcp over `node -e 0`
 * (`imports`), and an unchanged redeploy as a whole `node deploy.ts` process (`process`).
 * `--only ssh` runs only the SSH benches (bench/ssh.ts), `--only local` only the local ones (the
 * `--parts` above); by default both run, the local ones first.
 *
 * Needs the test environment (scripts/test-env.sh): the local registry and the base image.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { helloAgentSpec, localEnvironment } from '../examples/hello-agent/spec.ts';
import { type BaselineBuilder, deployBaseline } from './baseline.ts';
import { type BerthRun, berthUp } from './berth-deploy.ts';
import {
  type ExtraResults,
  renderExtrasMarkdown,
  renderExtrasText,
  replaceExtrasSection,
} from './extras-report.ts';
import { benchHealth } from './health-bench.ts';
import { benchImports } from './import-bench.ts';
import { describeMachine } from './machine.ts';
import { type Measured, measure } from './measure.ts';
import { benchNoopProcess } from './process-bench.ts';
import { renderMarkdown, renderText, replaceSection } from './report.ts';
import {
  type BaselineSample,
  type BenchResults,
  type BerthSample,
  summariseSamples,
} from './results-model.ts';
import { benchNames, removeContainers, removeContexts, removeImages, uniqueContext } from './workspace.ts';

const { values: flags } = parseArgs({
  options: {
    iterations: { type: 'string', default: '10' },
    'budget-seconds': { type: 'string', default: '170' },
    'host-port': { type: 'string', default: '18080' },
    'write-docs': { type: 'boolean', default: false },
    only: { type: 'string' },
    'ssh-iterations': { type: 'string', default: '5' },
    parts: { type: 'string', default: 'deploy,health,imports,process' },
  },
});
const parts = new Set(flags.parts.split(','));
const runSsh = async () => {
  const { runSshBench } = await import('./ssh.ts');
  await runSshBench({ iterations: Number(flags['ssh-iterations']), writeDocs: flags['write-docs'] });
};
if (flags.only === 'ssh') {
  await runSsh();
  process.exit(0);
}
const iterations = Number(flags.iterations);
const budgetMs = Number(flags['budget-seconds']) * 1000;
const hostPort = Number(flags['host-port']);
const warmupIterations = 1;

const local = localEnvironment();
const registry = (() => {
  if (local.registry) return local.registry;
  console.error(
    'The bench pushes to a registry: run scripts/test-env.sh (or set BERTH_REGISTRY_HOST/USERNAME/PASSWORD).',
  );
  return process.exit(2);
})();
const docker = new Docker();
await docker.ping();
const machine = await describeMachine(docker);
if (!(await portIsFree(hostPort))) {
  console.error(`127.0.0.1:${hostPort} is taken; pass --host-port <free port>.`);
  process.exit(2);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// The baseline's container gets the same environment as Berth's, secrets generated once up front.
const baselineSecrets = {
  SUPERVAIZER_API_KEY: randomBytes(32).toString('base64url'),
  SV_RSA_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string,
};
const runTag = Date.now().toString(36).slice(-4);
const scratch = await mkdtemp(join(tmpdir(), 'berth-bench-'));
let deployCount = 0;

async function cleanUpEverything(): Promise<void> {
  await removeContainers(docker, benchNames.berthContainer);
  await removeContainers(docker, benchNames.baselineContainer);
  await removeImages(docker, registry.host, benchNames.berthRepository);
  await removeImages(docker, registry.host, benchNames.baselineRepository);
  await removeContexts();
}

async function runBaseline(
  builder: BaselineBuilder,
  iteration: number,
  order: BaselineSample['order'],
): Promise<BaselineSample> {
  // `bk` marks the BuildKit baseline's contexts, containers and repositories.
  const label = `${builder === 'buildkit' ? 'bk' : ''}${runTag}${deployCount++}`;
  const spec = helloAgentSpec({ baseImage: local.baseImage, environment: `bench-${label}` });
  const context = await uniqueContext(`bl-${label}`);
  const name = `${benchNames.baselineContainer}${label}`;
  const repository = `${benchNames.baselineRepository}hello-agent-${label}`;
  const port = spec.port ?? 8000;
  try {
    const measured = await measure(() =>
      deployBaseline({
        // A client of its own, as Berth's provider and builder create theirs for every `up`.
        docker: new Docker(),
        builder,
        context,
        buildArgs: { BASE_IMAGE: local.baseImage },
        registry: registry,
        repository,
        tag: 'v1',
        containerName: name,
        containerPort: port,
        hostPort,
        env: {
          ...spec.env,
          ...(spec.publicUrlEnv ? { [spec.publicUrlEnv]: `http://127.0.0.1:${hostPort}` } : {}),
          ...baselineSecrets,
          PORT: String(port),
        },
        healthPath: spec.health?.path ?? '/.well-known/health',
        intervalMs: spec.health?.intervalMs ?? 1000,
        timeoutMs: 60_000,
      }),
    );
    const { value, ...timing } = measured;
    return { iteration, order, builder, ...timing, steps: value.steps, healthPolls: value.healthPolls };
  } finally {
    await removeContainers(docker, name);
    await removeImages(docker, registry.host, repository);
  }
}

function berthSample(
  iteration: number,
  order: BerthSample['order'],
  measured: Measured<BerthRun>,
  expected: string,
): BerthSample {
  const { result, healthAttempts, buildSteps, imageSplit } = measured.value;
  if (result.status !== expected)
    throw new Error(
      `Berth ${expected === 'noop' ? 'redeploy' : 'cold deploy'} ended ${result.status}: ${JSON.stringify(result.error ?? result.plan?.changes)}`,
    );
  const ran = result.phases.filter((phase) => phase.status !== 'skipped');
  const phases = Object.fromEntries(ran.map((phase) => [phase.name, phase.durationMs]));
  const inPhases = ran.reduce((sum, phase) => sum + phase.durationMs, 0);
  return {
    iteration,
    order,
    wallMs: measured.wallMs,
    peakRssDeltaBytes: measured.peakRssDeltaBytes,
    status: result.status,
    phases,
    outsidePhasesMs: Math.max(0, measured.wallMs - inPhases),
    healthAttempts,
    healthRounds: result.health?.rounds ?? 0,
    buildSteps,
    ...(imageSplit ? { imageSplit } : {}),
  };
}

async function runBerth(
  iteration: number,
  order: BerthSample['order'],
): Promise<{ cold: BerthSample; redeploy: BerthSample }> {
  const label = `${runTag}${deployCount++}`;
  const environment = `bench-${label}`;
  const target = {
    context: await uniqueContext(`bt-${label}`),
    environment,
    baseImage: local.baseImage,
    registry: registry,
    hostPort,
    stateDir: join(scratch, label, 'state'),
    secretsDir: join(scratch, label, 'secrets'),
  };
  try {
    const cold = berthSample(iteration, order, await measure(() => berthUp(target)), 'succeeded');
    const redeploy = berthSample(iteration, order, await measure(() => berthUp(target)), 'noop');
    return { cold, redeploy };
  } finally {
    await removeContainers(docker, `berth-hello-agent-${environment}-`);
    await removeImages(docker, registry.host, `berth/hello-agent-${environment}`);
    await rm(join(scratch, label), { recursive: true, force: true });
  }
}

const started = performance.now();
const samples: BenchResults['samples'] = {
  baseline: [],
  baselineBuildkit: [],
  berthCold: [],
  berthRedeploy: [],
};
/** The three deploys of an iteration; iteration `i` starts at the `i mod 3`-th and goes round. */
const sides = ['classic', 'buildkit', 'berth'] as const;
const positions = ['first', 'second', 'third'] as const;
if (parts.has('deploy')) await benchDeploys();

async function benchDeploys(): Promise<void> {
  try {
    await cleanUpEverything();
    // Berth builds with BuildKit, whose cache is not the classic builder's: the warm-up warms both.
    for (let warmup = 0; warmup < warmupIterations; warmup += 1) {
      process.stdout.write('warm-up: classic baseline');
      await runBaseline('classic', -1, 'first');
      process.stdout.write(', BuildKit baseline');
      await runBaseline('buildkit', -1, 'second');
      process.stdout.write(', Berth\n');
      await runBerth(-1, 'third');
    }
    let slowest = 0;
    for (let iteration = 0; iteration < iterations; iteration += 1) {
      const iterationStarted = performance.now();
      if (iterationStarted - started + slowest * 1.2 > budgetMs) {
        console.log(
          `stopping after ${iteration} iterations: the ${budgetMs / 1000} s budget would be exceeded`,
        );
        break;
      }
      // Rotate who goes first, so drift (caches, page cache, registry growth) falls on all three.
      let classic: BaselineSample | undefined;
      let buildkit: BaselineSample | undefined;
      let berth: { cold: BerthSample; redeploy: BerthSample } | undefined;
      for (const [index, position] of positions.entries()) {
        const side = sides[(iteration + index) % sides.length]!;
        if (side === 'classic') classic = await runBaseline('classic', iteration, position);
        else if (side === 'buildkit') buildkit = await runBaseline('buildkit', iteration, position);
        else berth = await runBerth(iteration, position);
      }
      if (!classic || !buildkit || !berth) throw new Error('an iteration skipped a deploy');
      samples.baseline.push(classic);
      samples.baselineBuildkit.push(buildkit);
      samples.berthCold.push(berth.cold);
      samples.berthRedeploy.push(berth.redeploy);
      console.log(
        `iteration ${iteration + 1}: classic baseline ${Math.round(classic.wallMs)} ms, BuildKit baseline ${Math.round(buildkit.wallMs)} ms, Berth cold ${Math.round(berth.cold.wallMs)} ms, unchanged ${Math.round(berth.redeploy.wallMs)} ms`,
      );
      slowest = Math.max(slowest, performance.now() - iterationStarted);
    }
  } finally {
    await cleanUpEverything().catch((error: unknown) => console.error('cleanup failed:', error));
    await rm(scratch, { recursive: true, force: true });
  }

  if (samples.baseline.length === 0) {
    console.error('No iteration fitted in the time budget.');
    process.exit(1);
  }
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine,
    settings: {
      iterations: samples.baseline.length,
      warmupIterations,
      hostPort,
      baselineHealthIntervalMs: helloAgentSpec({ baseImage: local.baseImage }).health?.intervalMs ?? 1000,
      budgetSeconds: budgetMs / 1000,
    },
    samples,
    ...summariseSamples(samples),
    durationSeconds: (performance.now() - started) / 1000,
  };

  console.log(`\n${renderText(results)}`);
  const resultsDir = fileURLToPath(new URL('./results', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote bench/results/latest.json`);
  if (flags['write-docs']) {
    const docsPath = fileURLToPath(new URL('../docs/performance.md', import.meta.url));
    await writeFile(docsPath, replaceSection(await readFile(docsPath, 'utf8'), renderMarkdown(results)));
    console.log('updated docs/performance.md');
  }
}

const extras: ExtraResults = { date: new Date().toISOString() };
if (parts.has('health')) {
  console.log('\nhealth: services ready at once, after 1.5 s and after 10 s');
  extras.health = await benchHealth({ short: 5, long: 2 });
}
if (parts.has('imports')) {
  console.log('imports: @berth/core, @berth/provider-gcp vs node -e 0');
  extras.imports = benchImports(['@berth/core', '@berth/provider-gcp'], 15);
}
if (parts.has('process')) {
  console.log('process: unchanged redeploy as a whole node process');
  const label = `${runTag}p`;
  const environment = `bench-${label}`;
  try {
    extras.process = benchNoopProcess(
      {
        context: await uniqueContext(`pr-${label}`),
        environment,
        baseImage: local.baseImage,
        registry,
        hostPort,
        stateDir: join(scratch, label, 'state'),
        secretsDir: join(scratch, label, 'secrets'),
      },
      10,
    );
  } finally {
    await removeContainers(docker, `berth-hello-agent-${environment}-`);
    await removeImages(docker, registry.host, `berth/hello-agent-${environment}`);
    await removeContexts();
    await rm(scratch, { recursive: true, force: true });
  }
}
if (extras.health || extras.imports || extras.process) {
  console.log(`\n${renderExtrasText(extras)}`);
  const resultsDir = fileURLToPath(new URL('./results', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, 'extras.json'), `${JSON.stringify({ machine, ...extras }, null, 2)}\n`);
  if (flags['write-docs']) {
    const docsPath = fileURLToPath(new URL('../docs/performance.md', import.meta.url));
    const machineLine = `**Machine:** ${machine.os}, kernel ${machine.kernel}; ${machine.cpus} CPUs (${machine.cpuModel}); ${machine.memoryGiB} GiB memory; Node ${machine.node}.`;
    await writeFile(
      docsPath,
      replaceExtrasSection(await readFile(docsPath, 'utf8'), renderExtrasMarkdown(extras, machineLine)),
    );
    console.log('updated the extras section of docs/performance.md');
  }
}

if (flags.only !== 'local') await runSsh();
