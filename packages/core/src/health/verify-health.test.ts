import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.js';
import { healthCheckFailure } from './health-failure.js';
import type { ResolvedHealthCheck } from './health-report.js';
import { healthCheckUrl } from './health-url.js';
import { readBoundedBody } from './read-bounded-body.js';
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
      probeIntervalMs: 0,
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

describe('verifyHealth: default schedule', () => {
  it('starts at 25 ms and, while nothing answers, stays at or below 50 ms', async () => {
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    ]);
    const report = await verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock,
      fetch,
      jitter: 0,
      timeoutMs: 10_000,
    });
    expect(report.reason).toBe('timeout');
    expect(clock.sleeps.slice(0, 5)).toEqual([25, 38, 50, 50, 50]);
    expect(Math.max(...clock.sleeps)).toBe(50);
  });

  it('backs off to 1 s once the service answers with failures, and probes at most every 500 ms', async () => {
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([{ status: 503 }]);
    let probes = 0;
    await verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock,
      fetch,
      jitter: 0,
      timeoutMs: 10_000,
      probe: async () => {
        probes += 1;
        return { alive: true };
      },
    });
    expect(clock.sleeps.slice(0, 3)).toEqual([25, 38, 56]);
    expect(Math.max(...clock.sleeps)).toBe(1_000);
    expect(clock.sleeps.at(-2)).toBe(1_000);
    expect(probes).toBeLessThanOrEqual(10_000 / 500 + 1);
    expect(probes).toBeGreaterThan(5);
  });

  it('jitters every wait within ±20 %', async () => {
    for (const [random, first] of [
      [() => 0, 20],
      [() => 0.999_999, 30],
    ] as const) {
      const clock = createFakeClock();
      const { fetch } = scriptedFetch([{ status: 503 }]);
      await verifyHealth({ url: 'http://svc', checks: [health], clock, fetch, random, timeoutMs: 100 });
      expect(clock.sleeps[0]).toBe(first);
    }
  });

  it('honours an explicit interval: never waits less, and raises the default cap to it', async () => {
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
      { status: 503 },
    ]);
    await verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock,
      fetch,
      jitter: 0,
      intervalMs: 2_000,
      timeoutMs: 20_000,
    });
    expect(clock.sleeps.length).toBeGreaterThan(2);
    expect(clock.sleeps.every((sleep) => sleep === 2_000)).toBe(true);
  });
});

describe('verifyHealth: what a failure reports', () => {
  const cases: Array<{
    name: string;
    script: Array<{ status: number; body?: string } | Error>;
    checks?: ResolvedHealthCheck[];
    reason: string;
    last: Record<string, unknown>;
    /** Longest the verification may take on the fake clock. */
    withinMs: number;
  }> = [
    {
      name: 'a 404 on every attempt stops after 10 s, not the 120 s timeout',
      script: [{ status: 404, body: 'Cannot GET /health' }],
      reason: 'non-retryable-status',
      last: { check: 'health', status: 404, bodyExcerpt: 'Cannot GET /health' },
      withinMs: 12_000,
    },
    {
      name: 'a 500 on every attempt stops after 10 s',
      script: [{ status: 500, body: '{"error":"db down"}' }],
      reason: 'non-retryable-status',
      last: { status: 500, bodyExcerpt: '{"error":"db down"}' },
      withinMs: 12_000,
    },
    {
      name: 'a 503 while starting is retried until the timeout',
      script: [{ status: 503, body: 'starting' }],
      reason: 'timeout',
      last: { status: 503, bodyExcerpt: 'starting' },
      withinMs: 120_000,
    },
    {
      name: 'a 503 after a check passed is non-retryable',
      checks: [health, { name: 'agents', path: '/agents', method: 'GET', expectStatus: 200 }],
      script: Array.from({ length: 400 }, (_, index) =>
        index % 2 === 0 ? { status: 200 } : { status: 503, body: 'agents unavailable' },
      ),
      reason: 'non-retryable-status',
      last: { check: 'agents', status: 503 },
      withinMs: 12_000,
    },
    {
      name: '429 and 408 are retried until the timeout',
      script: [{ status: 429 }, { status: 408 }],
      reason: 'timeout',
      last: { status: 408 },
      withinMs: 120_000,
    },
    {
      name: 'a refused connection is retried until the timeout, and its error is the last thing got',
      script: [Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })],
      reason: 'timeout',
      last: { error: 'ECONNREFUSED' },
      withinMs: 120_000,
    },
  ];
  for (const testCase of cases)
    it(testCase.name, async () => {
      const clock = createFakeClock();
      const { fetch } = scriptedFetch(testCase.script);
      const report = await verifyHealth({
        url: 'http://svc',
        checks: testCase.checks ?? [health],
        clock,
        fetch,
      });
      expect(report.healthy).toBe(false);
      expect(report.reason).toBe(testCase.reason);
      expect(report.lastFailure).toMatchObject(testCase.last);
      expect(report.durationMs).toBeLessThanOrEqual(testCase.withinMs);
      if (testCase.reason === 'non-retryable-status')
        expect(report.durationMs).toBeGreaterThanOrEqual(10_000);
    });

  it('a 404 that turns into 200 before 10 s passes', async () => {
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([
      { status: 404 },
      { status: 404 },
      { status: 404 },
      { status: 404 },
      { status: 200 },
    ]);
    expect((await verifyHealth({ url: 'http://svc', checks: [health], clock, fetch })).healthy).toBe(true);
  });

  it('names the check and what it last got in the HEALTH_CHECK_FAILED error', async () => {
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([{ status: 401, body: '{"detail":"missing API key"}' }]);
    const report = await verifyHealth({ url: 'http://svc', checks: [health], clock, fetch });
    const error = healthCheckFailure(report, { revision: '0002', url: 'http://svc' });
    expect(error.code).toBe('HEALTH_CHECK_FAILED');
    expect(error.message).toContain('check "health" answered 401 "{\\"detail\\":\\"missing API key\\"}"');
    expect(error.details).toMatchObject({
      reason: 'non-retryable-status',
      check: 'health',
      url: 'http://svc',
      lastAttempt: { status: 401, bodyExcerpt: '{"detail":"missing API key"}' },
    });
    const refused = scriptedFetch([
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
    ]);
    const timedOut = await verifyHealth({
      url: 'http://svc',
      checks: [health],
      clock,
      fetch: refused.fetch,
      timeoutMs: 3_000,
    });
    expect(healthCheckFailure(timedOut, { revision: '0003', url: 'http://svc' }).message).toMatch(
      /^Revision 0003 failed its health checks \(no passing round within 3 s\): check "health" got ECONNREFUSED$/,
    );
  });
});

describe('verifyHealth: URLs and bodies', () => {
  it('keeps the service URL path prefix and the check query', async () => {
    const cases = [
      ['https://x/app/', '/health', 'https://x/app/health'],
      ['https://x/app', '/health', 'https://x/app/health'],
      ['https://x', '/health', 'https://x/health'],
      ['https://x/', '/health?deep=1', 'https://x/health?deep=1'],
      ['http://127.0.0.1:8080/a/b/', '/.well-known/health', 'http://127.0.0.1:8080/a/b/.well-known/health'],
    ];
    for (const [base, path, expected] of cases) expect(healthCheckUrl(base!, path!).href).toBe(expected);
    const clock = createFakeClock();
    const { fetch, requests } = scriptedFetch([{ status: 200 }]);
    await verifyHealth({ url: 'https://x/app/', checks: [health], clock, fetch });
    expect(requests[0]!.url).toBe('https://x/app/health');
  });

  it('reads at most 1 MiB of a body and says so', async () => {
    const big = `${'a'.repeat(1024 * 1024)}needle`;
    const clock = createFakeClock();
    const { fetch } = scriptedFetch([{ status: 200, body: big }]);
    const report = await verifyHealth({
      url: 'http://svc',
      checks: [{ ...health, bodyContains: 'needle' }],
      clock,
      fetch,
      timeoutMs: 1,
    });
    expect(report.healthy).toBe(false);
    expect(report.lastFailure).toMatchObject({
      bodyTruncated: true,
      error: expect.stringContaining('needle'),
    });
    expect(report.lastFailure?.bodyExcerpt?.length).toBeLessThanOrEqual(201);
    expect(healthCheckFailure(report, { revision: '1', url: 'http://svc' }).message).toContain(
      'body over 1 MiB',
    );
    const small = await readBoundedBody(new Response('héllo'), 2);
    expect(small.truncated).toBe(true);
    expect(await readBoundedBody(new Response('héllo'))).toEqual({ text: 'héllo', truncated: false });
  });

  it('does not stream the rest of an endless body', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const result = await readBoundedBody(new Response(endless), 256 * 1024);
    expect(result).toMatchObject({ truncated: true });
    expect(pulled).toBeLessThan(10);
  });
});
