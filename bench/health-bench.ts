/**
 * Health: how long after a service starts answering does `verify` end? A loopback HTTP server that
 * starts listening after a delay (at once, 1.5 s, 10 s), verified with Berth's default schedule and,
 * for comparison in the same run, with the previous defaults (1 s interval growing to 5 s, as Kamal
 * polls every second). In-process: the server and the verifier share this process's clock.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyHealth } from '@berth/core/plugin-kit';
import { type Summary, summarise } from './measure.ts';

/** One case's result: `lateMs` is verify's end minus the moment the server started answering. */
export interface HealthCase {
  readyAfterMs: number;
  schedule: 'default' | 'previous default (1 s → 5 s)';
  lateMs: Summary;
  /** Requests the verifier made (median). */
  attempts: number;
}

/** The health part of the bench. */
export interface HealthBench {
  cases: HealthCase[];
  /** Target: verify ends within this long of the service answering, with the default schedule. */
  targetMs: number;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function once(readyAfterMs: number, previous: boolean): Promise<{ lateMs: number; attempts: number }> {
  const port = await freePort();
  let server: Server | undefined;
  let answeringAt = 0;
  const listen = () => {
    server = createServer((_request, response) => response.writeHead(200).end('ok'));
    server.listen(port, '127.0.0.1', () => {
      answeringAt = performance.now();
    });
  };
  let timer: NodeJS.Timeout | undefined;
  if (readyAfterMs === 0) {
    listen();
    while (answeringAt === 0) await new Promise((resolve) => setImmediate(resolve));
  } else timer = setTimeout(listen, readyAfterMs);
  const verifyStarted = performance.now();
  const report = await verifyHealth({
    url: `http://127.0.0.1:${port}`,
    checks: [{ name: 'health', path: '/health', method: 'GET', expectStatus: 200 }],
    timeoutMs: 30_000,
    ...(previous ? { intervalMs: 1_000, maxIntervalMs: 5_000 } : {}),
  });
  const ended = performance.now();
  clearTimeout(timer);
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (!report.healthy) throw new Error(`health bench: verify failed (${report.reason})`);
  return { lateMs: ended - Math.max(answeringAt, verifyStarted), attempts: report.attempts.length };
}

/** Run every case `repeats` times (the 10 s case fewer times: it is long). */
export async function benchHealth(repeats: { short: number; long: number }): Promise<HealthBench> {
  const cases: HealthCase[] = [];
  for (const readyAfterMs of [0, 1_500, 10_000])
    for (const previous of [false, true]) {
      const count = readyAfterMs >= 10_000 ? repeats.long : repeats.short;
      const runs: { lateMs: number; attempts: number }[] = [];
      for (let index = 0; index < count; index += 1) runs.push(await once(readyAfterMs, previous));
      cases.push({
        readyAfterMs,
        schedule: previous ? 'previous default (1 s → 5 s)' : 'default',
        lateMs: summarise(runs.map((run) => run.lateMs)),
        attempts: summarise(runs.map((run) => run.attempts)).median,
      });
    }
  return { cases, targetMs: 100 };
}
