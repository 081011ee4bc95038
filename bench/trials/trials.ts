/**
 * Reliability trials against the real local Docker engine (docs/reliability.md): kill -9 at random
 * points in `up`, concurrent `up` of one service from separate processes, and store faults. Each
 * trial returns data; `run.ts` prints the table, `trials.integration.test.ts` runs a few of each.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDeployer, type ServiceState } from '@berth/core';
import { localDocker } from '@berth/provider-ssh';
import Docker from 'dockerode';
import { type StoreConfig, storeFor } from './stores.ts';
import type { WorkerInput } from './worker.ts';

const workerPath = fileURLToPath(new URL('./worker.ts', import.meta.url));
// Workers run the packages' sources through tsx and the repository's tsconfig paths: no build needed.
const tsx = createRequire(import.meta.url).resolve('tsx');
const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));

/** What every trial needs from the test environment. */
export interface TrialEnvironment {
  socketPath: string;
  image: string;
  /** Restart the PostgreSQL server (store-fault trial). */
  restartPostgres?: () => Promise<void>;
}

/** A folder for one series: secrets, events, file state. */
export async function trialFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'berth-trial-'));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface Worker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (line: string) => Promise<void>;
}

function startWorker(input: WorkerInput): Worker {
  const child = spawn(process.execPath, ['--import', tsx, workerPath, JSON.stringify(input)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
  });
  let output = '';
  const waiters: { line: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters])
      if (output.split('\n').includes(waiter.line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor: (line) =>
      output.split('\n').includes(line)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            waiters.push({ line, resolve });
            void exited.then(() =>
              reject(new Error(`worker exited before "${line}": ${output.slice(-2_000)}`)),
            );
          }),
  };
}

function lastJsonLine(output: string): {
  status?: string;
  revision?: string;
  error?: { code: string; message: string };
} {
  const lines = output.trim().split('\n').reverse();
  for (const line of lines)
    try {
      return JSON.parse(line);
    } catch {
      // not the result line
    }
  return {};
}

async function managedContainers(docker: Docker, service: string) {
  return docker.listContainers({
    all: true,
    filters: { label: ['dev.berth.managed-by=berth', `dev.berth.service=${service}`] },
  });
}

async function countIn(folder: string, needle: string): Promise<number> {
  let count = 0;
  for (const name of await readdir(folder, { recursive: true }).catch(() => [] as string[])) {
    const text = await readFile(join(folder, name), 'utf8').catch(() => '');
    count += text.split(needle).length - 1;
  }
  return count;
}

/** The result of one series of trials on one store. */
export interface SeriesResult {
  trial: 'kill-9 in up' | 'concurrent up' | 'store fault';
  store: StoreConfig['kind'];
  trials: number;
  passed: number;
  /** Failures, each with why. */
  failures: string[];
  /** Secret values found in state, history, events and logs written during the series. */
  secretOccurrences: number;
  /** Extra figures (e.g. the kill points hit, the retries). */
  notes: string[];
}

/**
 * kill -9 at a random point in `up`, `trials` times on one service: afterwards the state is readable,
 * the next `up` converges (`noop` or `succeeded`), every container is a revision the state knows, and
 * the service serves the verified revision. Ends with `down`: nothing left.
 */
export async function killTrials(
  environment: TrialEnvironment,
  store: StoreConfig,
  trials: number,
): Promise<SeriesResult> {
  const folder = await trialFolder();
  const docker = new Docker({ socketPath: environment.socketPath });
  const secretValue = `trial-secret-${randomBytes(12).toString('hex')}`;
  const name = `kt${randomBytes(3).toString('hex')}`;
  const service = `${name}-dev`;
  const port = await freePort();
  const secretsDir = join(folder, 'secrets');
  const eventsFile = join(folder, 'events.jsonl');
  const result: SeriesResult = {
    trial: 'kill-9 in up',
    store: store.kind,
    trials,
    passed: 0,
    failures: [],
    secretOccurrences: 0,
    notes: [],
  };
  const { store: stateStore, close } = storeFor(store);
  const deployer = createDeployer({
    provider: localDocker({ dockerOptions: { socketPath: environment.socketPath }, secretsDir }),
    state: stateStore,
  });
  const spec = (marker: string) => ({
    name,
    image: { ref: environment.image },
    port,
    env: { MARKER: marker },
    secrets: { TRIAL_SECRET: { value: secretValue } },
    health: { intervalMs: 100, timeoutMs: 30_000 },
  });
  let logs = '';
  const killedAfter: number[] = [];
  const unrecorded = new Set<string>();
  try {
    for (let index = 0; index < trials; index += 1) {
      const marker = `m${index}`;
      const worker = startWorker({
        store,
        socketPath: environment.socketPath,
        secretsDir,
        name,
        image: environment.image,
        port,
        marker,
        secretValue,
        eventsFile,
      });
      const delay = Math.floor(Math.random() * 2_500);
      await worker.waitFor('started').catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, delay));
      worker.child.kill('SIGKILL');
      await worker.exited;
      killedAfter.push(delay);
      logs += worker.output();
      const problems: string[] = [];
      let state: ServiceState | undefined;
      try {
        state = await stateStore.read(service);
      } catch (error) {
        problems.push(`state unreadable: ${(error as Error).message}`);
      }
      const next = await deployer.up(spec(marker));
      if (next.status !== 'succeeded' && next.status !== 'noop')
        problems.push(`next up ${next.status}: ${next.error?.code} ${next.error?.message}`);
      state = await stateStore.read(service);
      const known = new Set([
        ...(state?.history ?? []).flatMap((entry) => (entry.revision ? [entry.revision] : [])),
        ...(state?.current ? [state.current.revision] : []),
      ]);
      // A revision container a killed run created before recording it is not in the state, but it
      // carries the service's labels: the target knows it, prune and `down` remove it (checked at the end).
      for (const container of await managedContainers(docker, service)) {
        const revision = container.Labels['dev.berth.revision'] ?? '?';
        if (!known.has(revision)) unrecorded.add(revision);
      }
      if (!state?.current?.verified) problems.push('current revision not verified');
      const served = await fetch(`http://127.0.0.1:${port}/.well-known/health`, {
        signal: AbortSignal.timeout(5_000),
      })
        .then(async (response) => ({ status: response.status, body: await response.text() }))
        .catch(() => ({ status: 0, body: '' }));
      if (served.status !== 200 || !served.body.includes(state?.current?.revision ?? '\u0000'))
        problems.push(
          `serves ${served.status} ${served.body.slice(0, 80)} instead of ${state?.current?.revision}`,
        );
      if (problems.length === 0) result.passed += 1;
      else result.failures.push(`trial ${index} (killed after ${delay} ms): ${problems.join('; ')}`);
    }
    const down = await deployer.down(spec('down'));
    if (down.status !== 'destroyed' && down.status !== 'noop')
      result.failures.push(`down ${down.status}: ${JSON.stringify(down).slice(0, 200)}`);
    const left = await managedContainers(docker, service);
    if (left.length > 0) result.failures.push(`after down: ${left.length} containers left`);
    const secretsLeft = await readdir(join(secretsDir, service)).catch(() => [] as string[]);
    if (secretsLeft.length > 0) result.failures.push(`after down: secrets left ${secretsLeft.join(', ')}`);
    const state = await stateStore.read(service).catch(() => undefined);
    result.secretOccurrences =
      JSON.stringify(state ?? {}).split(secretValue).length -
      1 +
      (logs.split(secretValue).length - 1) +
      (await countIn(folder, secretValue)) -
      // The secret store's own files hold the value by design (that is where secrets live); they are gone after down.
      0;
    result.notes.push(
      `${unrecorded.size} revision containers created by killed runs before their record (labelled, so prune and down remove them)`,
    );
    result.notes.push(
      `kill points 0–2500 ms after start; median ${killedAfter.sort((a, b) => a - b)[Math.floor(killedAfter.length / 2)] ?? 0} ms`,
    );
  } finally {
    await close();
    await rm(folder, { recursive: true, force: true });
  }
  return result;
}

/**
 * `racers` processes run `up` of one new service at the same moment, `races` times: exactly one
 * proceeds, every other gets `LOCK_HELD` naming the owner.
 */
export async function raceTrials(
  environment: TrialEnvironment,
  store: StoreConfig,
  races: number,
  racers = 2,
): Promise<SeriesResult> {
  const folder = await trialFolder();
  const docker = new Docker({ socketPath: environment.socketPath });
  const secretValue = `trial-secret-${randomBytes(12).toString('hex')}`;
  const secretsDir = join(folder, 'secrets');
  const eventsFile = join(folder, 'events.jsonl');
  const result: SeriesResult = {
    trial: 'concurrent up',
    store: store.kind,
    trials: races,
    passed: 0,
    failures: [],
    secretOccurrences: 0,
    notes: [],
  };
  const { store: stateStore, close } = storeFor(store);
  let logs = '';
  try {
    for (let race = 0; race < races; race += 1) {
      const name = `rc${randomBytes(3).toString('hex')}`;
      const port = await freePort();
      const workers = Array.from({ length: racers }, () =>
        startWorker({
          store,
          socketPath: environment.socketPath,
          secretsDir,
          name,
          image: environment.image,
          port,
          marker: 'race',
          secretValue,
          eventsFile,
          waitForGo: true,
        }),
      );
      await Promise.all(workers.map((worker) => worker.waitFor('ready')));
      for (const worker of workers) worker.child.stdin!.write('go\n');
      await Promise.all(workers.map((worker) => worker.exited));
      const outcomes = workers.map((worker) => lastJsonLine(worker.output()));
      logs += workers.map((worker) => worker.output()).join('\n');
      const proceeded = outcomes.filter((outcome) => outcome.status === 'succeeded');
      const held = outcomes.filter(
        (outcome) =>
          outcome.error?.code === 'LOCK_HELD' &&
          /locked by .+@.+ \(pid \d+, run /.test(outcome.error.message),
      );
      if (proceeded.length === 1 && held.length === racers - 1) result.passed += 1;
      else
        result.failures.push(
          `race ${race}: ${outcomes.map((outcome) => `${outcome.status ?? 'no result'}${outcome.error ? ` (${outcome.error.code}: ${outcome.error.message.slice(0, 160)})` : ''}`).join(', ')}`,
        );
      const deployer = createDeployer({
        provider: localDocker({ dockerOptions: { socketPath: environment.socketPath }, secretsDir }),
        state: stateStore,
      });
      const state = await stateStore.read(`${name}-dev`);
      logs += JSON.stringify(state ?? {});
      await deployer.down({ name, image: { ref: environment.image }, port });
      const left = await managedContainers(docker, `${name}-dev`);
      if (left.length > 0) result.failures.push(`race ${race}: ${left.length} containers left after down`);
    }
    result.secretOccurrences =
      logs.split(secretValue).length -
      1 +
      (await countIn(join(folder, 'events.jsonl'), secretValue).catch(() => 0));
    const events = await readFile(eventsFile, 'utf8').catch(() => '');
    result.secretOccurrences += events.split(secretValue).length - 1;
  } finally {
    await close();
    await rm(folder, { recursive: true, force: true });
  }
  return result;
}

/**
 * Postgres restarted in the middle of a run (after its deploy phase, before the record): the run
 * retries its write and succeeds, or fails cleanly; the state is whole either way.
 */
export async function postgresRestartTrials(
  environment: TrialEnvironment,
  store: Extract<StoreConfig, { kind: 'postgres' }>,
  trials: number,
): Promise<SeriesResult> {
  const folder = await trialFolder();
  const result: SeriesResult = {
    trial: 'store fault',
    store: 'postgres',
    trials,
    passed: 0,
    failures: [],
    secretOccurrences: 0,
    notes: ['PostgreSQL restarted (pg_ctl restart -m fast) after the deploy phase'],
  };
  const { store: stateStore, close } = storeFor(store);
  const secretValue = `trial-secret-${randomBytes(12).toString('hex')}`;
  const name = `pf${randomBytes(3).toString('hex')}`;
  const port = await freePort();
  const events: string[] = [];
  const deployer = createDeployer({
    provider: localDocker({
      dockerOptions: { socketPath: environment.socketPath },
      secretsDir: join(folder, 'secrets'),
    }),
    state: stateStore,
    onEvent: (event) => events.push(JSON.stringify(event)),
    hooks: [{ name: 'restart postgres', after: 'deploy', run: () => environment.restartPostgres?.() }],
  });
  try {
    for (let index = 0; index < trials; index += 1) {
      const outcome = await deployer.up({
        name,
        image: { ref: environment.image },
        port,
        env: { MARKER: `p${index}` },
        secrets: { TRIAL_SECRET: { value: secretValue } },
        health: { intervalMs: 100, timeoutMs: 30_000 },
      });
      const state = await stateStore.read(`${name}-dev`).catch((error: unknown) => error as Error);
      const problems: string[] = [];
      if (state instanceof Error) problems.push(`state unreadable: ${state.message}`);
      else {
        if (outcome.status === 'succeeded' && state?.current?.revision !== outcome.revision)
          problems.push(`state says ${state?.current?.revision}, run says ${outcome.revision}`);
        if (state?.history.at(-1)?.revision !== state?.current?.revision && outcome.status === 'succeeded')
          problems.push('history and current disagree');
      }
      if (outcome.status !== 'succeeded' && outcome.error?.code !== 'STATE_STORE_UNAVAILABLE')
        problems.push(`${outcome.status}: ${outcome.error?.code} ${outcome.error?.message}`);
      if (problems.length === 0) result.passed += 1;
      else result.failures.push(`trial ${index}: ${problems.join('; ')}`);
    }
    await createDeployer({
      provider: localDocker({
        dockerOptions: { socketPath: environment.socketPath },
        secretsDir: join(folder, 'secrets'),
      }),
      state: stateStore,
    }).down({ name, image: { ref: environment.image }, port });
    result.secretOccurrences = events.join('\n').split(secretValue).length - 1;
  } finally {
    await close();
    await rm(folder, { recursive: true, force: true });
  }
  return result;
}

/** Restart the test environment's PostgreSQL with its own pg_ctl, as the postgres user. */
export function pgCtlRestart(pgCtl: string, dataDir: string): () => Promise<void> {
  return async () => {
    // -l: the server's output goes to its log, not to our pipes (execFile would wait on them forever).
    const args = [
      '-u',
      'postgres',
      '--',
      pgCtl,
      '-D',
      dataDir,
      '-l',
      '/var/log/berth-postgres.log',
      '-m',
      'fast',
      '-w',
      'restart',
    ];
    await promisify(execFile)('runuser', args, {
      timeout: 60_000,
    });
  };
}
