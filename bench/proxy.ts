/**
 * The proxy bench (`pnpm bench:proxy`): see docs/performance.md, section "Proxy mode". On the local
 * Docker target, in one run: an env-only update under a request loop (a GET every 10 ms) in direct
 * mode and in proxy mode — failed requests and the longest gap without a successful answer — and
 * the latency the proxy adds, a loopback request loop through the proxy vs straight to the
 * revision's container, in interleaved blocks, as a p50/p99 ratio. Writes
 * bench/results/proxy-latest.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDeployer, memoryStateStore, type ServiceSpecInput } from '@berth/core';
import { localDocker } from '@berth/provider-ssh';
import Docker from 'dockerode';
import { loadTestEnvironment } from '../test-support/test-env.ts';
import { describeMachine } from './machine.ts';

const { values: flags } = parseArgs({
  options: {
    updates: { type: 'string', default: '3' },
    requests: { type: 'string', default: '2000' },
    port: { type: 'string', default: '18181' },
  },
});

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const log = (message: string) => console.log(`proxy bench: ${message}`);

interface Answer {
  endedAt: number;
  ok: boolean;
}

/** GET `url` back to back, `intervalMs` apart, until `stop()`. */
function loop(url: string, intervalMs: number) {
  const answers: Answer[] = [];
  let stopped = false;
  const done = (async () => {
    const deadline = Date.now() + 120_000;
    while (!stopped && Date.now() < deadline) {
      let ok = false;
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        ok = response.status === 200;
      } catch {}
      answers.push({ endedAt: performance.now(), ok });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return answers;
    },
  };
}

/** The longest time between two successful answers (or from the start to the first), in ms. */
function longestGap(answers: Answer[], startedAt: number): number {
  let last = startedAt;
  let gap = 0;
  for (const answer of answers) {
    if (!answer.ok) continue;
    gap = Math.max(gap, answer.endedAt - last);
    last = answer.endedAt;
  }
  return gap;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** `count` sequential keep-alive GETs of `url`; their durations in ms. */
async function latencies(url: string, count: number, agent: Agent): Promise<number[]> {
  const durations: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => resolve());
      }).on('error', reject);
    });
    durations.push(performance.now() - started);
  }
  return durations;
}

const round = (value: number) => Math.round(value * 100) / 100;

async function main(): Promise<void> {
  const env = loadTestEnvironment();
  if (!env.docker || !env.images?.caddy)
    throw new Error('The proxy bench needs Docker and images.caddy: run bash scripts/test-env.sh.');
  const docker = new Docker({ socketPath: env.docker.socketPath });
  const dockerOptions = { socketPath: env.docker.socketPath };
  const secretsDir = await mkdtemp(join(tmpdir(), 'berth-proxy-bench-secrets-'));
  const proxyDir = await mkdtemp(join(tmpdir(), 'bpb-'));
  const proxyName = `berth-proxy-bench-${randomBytes(3).toString('hex')}`;
  const port = Number(flags.port);
  const updates = Number(flags.updates);
  const healthService = env.images.healthService;
  const provider = (proxy: boolean) =>
    localDocker({
      dockerOptions,
      secretsDir,
      ...(proxy
        ? { proxy: { image: env.images!.caddy!, name: proxyName, directory: proxyDir, drainSeconds: 1 } }
        : {}),
    });
  const spec = (name: string, servicePort: number, marker: string): ServiceSpecInput => ({
    name,
    image: { ref: healthService },
    port: servicePort,
    env: { MARKER: marker },
    health: { intervalMs: 200, maxIntervalMs: 500, timeoutMs: 30_000 },
  });
  const results = {
    date: new Date().toISOString(),
    machine: await describeMachine(docker),
    loadAverage: loadavg().map(round),
    update: {} as Record<
      string,
      { failed: number[]; requests: number[]; longestGapMs: number[]; updateMs: number[] }
    >,
    latency: {} as Record<string, number>,
  };
  const services: string[] = [];
  try {
    for (const mode of ['direct', 'proxy'] as const) {
      const name = `bench-${mode}-${randomBytes(2).toString('hex')}`;
      const servicePort = port + (mode === 'proxy' ? 1 : 0);
      services.push(`${name}-dev`);
      const deployer = createDeployer({ provider: provider(mode === 'proxy'), state: memoryStateStore() });
      const first = await deployer.up(spec(name, servicePort, 'm0'));
      if (first.status !== 'succeeded') throw new Error(`${mode}: first deploy ${first.status}`);
      const figures = {
        failed: [] as number[],
        requests: [] as number[],
        longestGapMs: [] as number[],
        updateMs: [] as number[],
      };
      for (let update = 1; update <= updates; update += 1) {
        const started = performance.now();
        const requests = loop(`http://127.0.0.1:${servicePort}/.well-known/health`, 10);
        const result = await deployer.up(spec(name, servicePort, `m${update}`));
        const updateMs = performance.now() - started;
        // A little after the run, so a gap that ends after `up` returned is seen whole.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const answers = await requests.stop();
        if (result.status !== 'succeeded') throw new Error(`${mode}: update ${result.status}`);
        figures.failed.push(answers.filter((answer) => !answer.ok).length);
        figures.requests.push(answers.length);
        figures.longestGapMs.push(Math.round(longestGap(answers, started)));
        figures.updateMs.push(Math.round(updateMs));
        log(
          `${mode} update ${update}: ${figures.failed.at(-1)}/${answers.length} failed, longest gap ${figures.longestGapMs.at(-1)} ms, update ${figures.updateMs.at(-1)} ms`,
        );
      }
      results.update[mode] = figures;
      if (mode === 'proxy') {
        const observed = await provider(true).observe(
          {
            signal: new AbortController().signal,
            clock: { now: Date.now, sleep: async () => {} },
            progress: () => {},
            log: () => {},
          },
          { service: `${name}-dev`, name, environment: 'dev' },
        );
        const upstream = Number(observed?.data?.upstreamPort);
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const direct: number[] = [];
        const proxied: number[] = [];
        const count = Number(flags.requests);
        const block = 200;
        await latencies(`http://127.0.0.1:${upstream}/.well-known/health`, 100, agent); // warm up both
        await latencies(`http://127.0.0.1:${servicePort}/.well-known/health`, 100, agent);
        for (let done = 0; done < count; done += block) {
          direct.push(...(await latencies(`http://127.0.0.1:${upstream}/.well-known/health`, block, agent)));
          proxied.push(
            ...(await latencies(`http://127.0.0.1:${servicePort}/.well-known/health`, block, agent)),
          );
        }
        agent.destroy();
        direct.sort((left, right) => left - right);
        proxied.sort((left, right) => left - right);
        results.latency = {
          requests: direct.length,
          directP50Ms: round(percentile(direct, 50)),
          directP99Ms: round(percentile(direct, 99)),
          proxyP50Ms: round(percentile(proxied, 50)),
          proxyP99Ms: round(percentile(proxied, 99)),
          p50Ratio: round(percentile(proxied, 50) / percentile(direct, 50)),
          p99Ratio: round(percentile(proxied, 99) / percentile(direct, 99)),
        };
        log(`latency: ${JSON.stringify(results.latency)}`);
      }
      await deployer.down(spec(name, servicePort, 'm0'));
    }
  } finally {
    for (const service of services)
      for (const container of await docker.listContainers({
        all: true,
        filters: { label: [`dev.berth.service=${service}`] },
      }))
        await docker
          .getContainer(container.Id)
          .remove({ force: true })
          .catch(() => {});
    await docker
      .getContainer(proxyName)
      .remove({ force: true })
      .catch(() => {});
    await rm(secretsDir, { recursive: true, force: true });
    await rm(proxyDir, { recursive: true, force: true });
  }
  await mkdir(join(benchDir, 'results'), { recursive: true });
  await writeFile(join(benchDir, 'results', 'proxy-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
}

await main();
