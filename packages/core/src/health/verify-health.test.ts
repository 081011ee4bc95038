import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.js';
import type { ResolvedHealthCheck } from './health-report.js';
import { verifyHealth } from './verify-health.js';

const health: ResolvedHealthCheck = { name: 'health', path: '/health', method: 'GET', expectStatus: 200 };

/** A fake fetch answering from a script of responses, one per call (the last repeats). */
function scriptedFetch(script: Array<{ status: number; body?: string } | Error>) {
  const requests: { url: string; headers: Record<string, string> }[] = [];
  const fetch = (async (input: URL | string, init?: RequestInit) => {
    requests.push({ url: String(input), headers: (init?.headers ?? {}) as Record<string, string> });
    const next = script[Math.min(requests.length - 1, script.length - 1)]!;
    if (next instanceof Error) throw next;
    return new Response(next.body ?? null, { status: next.status });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

describe('verifyHealth', () => {
  it('passes once the checks succeed the required number of rounds in a row', async () => {
    const clock = createFakeClock();
    const { fetch, requests } = scriptedFetch([
      { status: 503 },
      { status: 200 },
      { status: 500 },
      { status: 200 },
    ]);
    const report = await verifyHealth({
      url: 'http://svc',
      checks: [health],
      successThreshold: 2,
      clock,
      fetch,
      jitter: 0,
    });
    expect(report.healthy).toBe(true);
    expect(report.rounds).toBe(5);
    expect(report.attempts.map((attempt) => attempt.status)).toEqual([503, 200, 500, 200, 200]);
    expect(requests[0]!.url).toBe('http://svc/health');
  });

  it('backs off after failures up to the maximum interval, with jitter inside its bounds', async () => {
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([{ status: 500 }]);
    const report = await verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock,
      fetch,
      intervalMs: 100,
      maxIntervalMs: 400,
      backoffFactor: 2,
      jitter: 0,
      timeoutMs: 2_000,
    });
    expect(report.healthy).toBe(false);
    expect(report.reason).toBe('timeout');
    expect(clock.sleeps.slice(0, 5)).toEqual([100, 200, 400, 400, 400]);
    const jittered = createFakeClock();
    await verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock: jittered,
      fetch,
      intervalMs: 1_000,
      jitter: 0.5,
      timeoutMs: 3_000,
      backoffFactor: 1,
      random: () => 0,
    });
    expect(jittered.sleeps[0]).toBe(500);
  });

  it('checks status, body text, JSON fields and sends headers', async () => {
    const checks: ResolvedHealthCheck[] = [
      health,
      {
        name: 'agents',
        path: '/agents/health',
        method: 'GET',
        expectStatus: [200, 204],
        headers: { 'X-API-Key': 'k' },
      },
      {
        name: 'json',
        path: '/status',
        method: 'GET',
        expectStatus: 200,
        json: { status: 'ok', deps: { db: true } },
      },
      { name: 'docs', path: '/docs', method: 'GET', expectStatus: 200, bodyContains: 'https://public' },
    ];
    const good = scriptedFetch([
      { status: 200 },
      { status: 204 },
      { status: 200, body: '{"status":"ok","deps":{"db":true,"cache":false}}' },
      { status: 200, body: '<a href="https://public/x">' },
    ]);
    const clock = createFakeClock();
    expect((await verifyHealth({ url: 'http://svc', checks, clock, fetch: good.fetch })).healthy).toBe(true);
    expect(good.requests[1]!.headers).toEqual({ 'X-API-Key': 'k' });
    const badJson = scriptedFetch([
      { status: 200 },
      { status: 200 },
      { status: 200, body: '{"status":"ok","deps":{"db":false}}' },
    ]);
    const report = await verifyHealth({
      url: 'http://svc',
      checks,
      clock,
      fetch: badJson.fetch,
      timeoutMs: 1,
    });
    expect(report.healthy).toBe(false);
    expect(report.attempts.at(-1)).toMatchObject({
      check: 'json',
      ok: false,
      error: expect.stringContaining('does not match'),
    });
  });

  it('records network errors per attempt with latency', async () => {
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    ]);
    const report = await verifyHealth({ url: 'http://svc', checks: [health], clock, fetch, timeoutMs: 1 });
    expect(report.attempts[0]).toMatchObject({ ok: false, error: 'ECONNREFUSED', latencyMs: 0, round: 1 });
  });

  it('stops at once when the process behind the URL exits', async () => {
    const clock = createFakeClock();
    const { fetch, requests } = scriptedFetch([{ status: 500 }]);
    let probes = 0;
    const report = await verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock,
      fetch,
      probe: async () => (++probes > 2 ? { alive: false, reason: 'exit code 1' } : { alive: true }),
    });
    expect(report).toMatchObject({ healthy: false, reason: 'process-exited: exit code 1', rounds: 2 });
    expect(requests).toHaveLength(2);
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const clock = createFakeClock({ autoAdvance: false });
    const { fetch } = scriptedFetch([{ status: 500 }]);
    const pending = verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock,
      fetch,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    expect(await pending).toMatchObject({ healthy: false, reason: 'aborted' });
  });
});
