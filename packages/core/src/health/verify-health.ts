import { type Clock, systemClock } from '../ports/clock.js';
import { evaluateResponse } from './evaluate-response.js';
import type { HealthAttempt, HealthReport, ResolvedHealthCheck } from './health-report.js';
import { nextHealthWait, resolveHealthSchedule } from './health-schedule.js';
import { healthCheckUrl } from './health-url.js';
import {
  DEFAULT_FAIL_FAST_AFTER_MS,
  FAIL_FAST_MIN_ATTEMPTS,
  isNonRetryableStatus,
} from './non-retryable-status.js';
import { MAX_HEALTH_BODY_BYTES, readBoundedBody } from './read-bounded-body.js';

/** Options of `verifyHealth`. */
export interface VerifyHealthOptions {
  /** Base URL of the service, e.g. `https://api.example.com`; a path prefix is kept. */
  url: string;
  /** Checks run in order each round; a round passes when all pass. */
  checks: ResolvedHealthCheck[];
  /** Overall time limit. Default 120 s. */
  timeoutMs?: number;
  /** First wait between rounds, and the wait after a passing round. Default 25 ms. */
  intervalMs?: number;
  /** Cap of the backoff after answered failures. Default the larger of 1 s and `intervalMs`. */
  maxIntervalMs?: number;
  /** Backoff factor after failed rounds. Default 1.5. */
  backoffFactor?: number;
  /** Random spread of each interval, 0 to 1. Default 0.2. */
  jitter?: number;
  /** Consecutive passing rounds required. Default 1. */
  successThreshold?: number;
  /** Timeout of one HTTP attempt. Default 5 s. */
  attemptTimeoutMs?: number;
  /**
   * Stop with reason `non-retryable-status` once one check has answered non-retryable statuses on
   * every attempt for this long (and at least 3 attempts). Default 10 s; `Infinity` turns it off.
   */
  failFastAfterMs?: number;
  /** Least time between two `probe` calls. Default 500 ms. */
  probeIntervalMs?: number;
  /** Most of each body that is read. Default 1 MiB. */
  maxBodyBytes?: number;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
  clock?: Clock;
  random?: () => number;
  /** Called after every attempt (the engine turns these into `health-check` events). */
  onAttempt?: (attempt: HealthAttempt) => void;
  /** Checked before the first round and then at most every `probeIntervalMs`: stop early when the process behind the URL has exited. */
  probe?: () => Promise<{ alive: boolean; reason?: string }>;
}

const MAX_KEPT_ATTEMPTS = 100;
const BODY_EXCERPT_CHARACTERS = 200;

function excerptOf(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > BODY_EXCERPT_CHARACTERS ? `${flat.slice(0, BODY_EXCERPT_CHARACTERS)}…` : flat;
}

async function attemptCheck(
  options: {
    url: string;
    attemptTimeoutMs: number;
    maxBodyBytes: number;
    fetch: typeof globalThis.fetch;
    clock: Clock;
    signal?: AbortSignal;
  },
  check: ResolvedHealthCheck,
  round: number,
): Promise<HealthAttempt> {
  const started = options.clock.now();
  const at = new Date(started).toISOString();
  const timeout = AbortSignal.timeout(options.attemptTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await options.fetch(healthCheckUrl(options.url, check.path), {
      method: check.method,
      ...(check.headers ? { headers: check.headers } : {}),
      signal,
      redirect: 'manual',
    });
    const body =
      check.method === 'HEAD'
        ? { text: '', truncated: false }
        : await readBoundedBody(response, options.maxBodyBytes);
    const error = evaluateResponse(check, response.status, body.text);
    const latencyMs = options.clock.now() - started;
    return {
      check: check.name,
      round,
      ok: !error,
      status: response.status,
      latencyMs,
      at,
      ...(error ? { error } : {}),
      ...(error && body.text ? { bodyExcerpt: excerptOf(body.text) } : {}),
      ...(body.truncated ? { bodyTruncated: true } : {}),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const message = timeout.aborted
      ? `no answer within ${options.attemptTimeoutMs} ms`
      : (cause ?? (error as Error).message);
    return {
      check: check.name,
      round,
      ok: false,
      latencyMs: options.clock.now() - started,
      at,
      error: message,
    };
  }
}

/**
 * Poll a service until its checks pass `successThreshold` rounds in a row, or the timeout passes.
 * Usable on its own. Never throws for an unhealthy service: read `healthy`, `reason` and `lastFailure`.
 */
export async function verifyHealth(options: VerifyHealthOptions): Promise<HealthReport> {
  const clock = options.clock ?? systemClock;
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const threshold = options.successThreshold ?? 1;
  const failFastAfterMs = options.failFastAfterMs ?? DEFAULT_FAIL_FAST_AFTER_MS;
  const probeIntervalMs = options.probeIntervalMs ?? 500;
  const schedule = resolveHealthSchedule(options);
  const random = options.random ?? Math.random;
  const started = clock.now();
  const deadline = started + timeoutMs;
  const attempts: HealthAttempt[] = [];
  let consecutive = 0;
  let failures = 0;
  let round = 0;
  let lastFailure: HealthAttempt | undefined;
  let serviceUp = false;
  let lastProbe = Number.NEGATIVE_INFINITY;
  // Per check: when its current run of non-retryable answers began, and how many attempts it has.
  const nonRetryable = new Map<string, { since: number; attempts: number }>();
  const report = (healthy: boolean, reason?: string): HealthReport => ({
    healthy,
    url: options.url,
    rounds: round,
    consecutiveSuccesses: consecutive,
    durationMs: clock.now() - started,
    attempts: attempts.slice(-MAX_KEPT_ATTEMPTS),
    ...(reason ? { reason } : {}),
    ...(!healthy && lastFailure ? { lastFailure } : {}),
  });

  while (true) {
    if (options.signal?.aborted) return report(false, 'aborted');
    if (options.probe && clock.now() - lastProbe >= probeIntervalMs) {
      lastProbe = clock.now();
      const liveness = await options
        .probe()
        .catch(() => ({ alive: true }) as { alive: boolean; reason?: string });
      if (!liveness.alive)
        return report(false, `process-exited: ${liveness.reason ?? 'the revision stopped'}`);
    }
    round += 1;
    let failed: HealthAttempt | undefined;
    for (const check of options.checks) {
      const attempt = await attemptCheck(
        {
          url: options.url,
          attemptTimeoutMs: Math.max(1, Math.min(options.attemptTimeoutMs ?? 5_000, deadline - clock.now())),
          maxBodyBytes: options.maxBodyBytes ?? MAX_HEALTH_BODY_BYTES,
          fetch: fetchFunction,
          clock,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        check,
        round,
      );
      attempts.push(attempt);
      if (attempts.length > MAX_KEPT_ATTEMPTS * 2) attempts.splice(0, MAX_KEPT_ATTEMPTS);
      options.onAttempt?.(attempt);
      if (attempt.ok) {
        serviceUp = true;
        nonRetryable.delete(check.name);
        continue;
      }
      failed = attempt;
      lastFailure = attempt;
      if (attempt.status !== undefined && isNonRetryableStatus(attempt.status, serviceUp)) {
        const streak = nonRetryable.get(check.name) ?? { since: Date.parse(attempt.at), attempts: 0 };
        streak.attempts += 1;
        nonRetryable.set(check.name, streak);
        if (streak.attempts >= FAIL_FAST_MIN_ATTEMPTS && clock.now() - streak.since >= failFastAfterMs)
          return report(false, 'non-retryable-status');
      } else nonRetryable.delete(check.name);
      break;
    }
    if (!failed) {
      consecutive += 1;
      failures = 0;
      if (consecutive >= threshold) return report(true);
    } else {
      consecutive = 0;
      failures += 1;
    }
    const wait = nextHealthWait(schedule, { failures, answered: failed?.status !== undefined }, random);
    if (clock.now() + wait > deadline) return report(false, 'timeout');
    try {
      await clock.sleep(wait, options.signal);
    } catch {
      return report(false, 'aborted');
    }
  }
}
