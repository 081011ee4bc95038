import { type Clock, systemClock } from '../ports/clock.js';
import { evaluateResponse, nextInterval } from './evaluate-response.js';
import type { HealthAttempt, HealthReport, ResolvedHealthCheck } from './health-report.js';

/** Options of `verifyHealth`. */
export interface VerifyHealthOptions {
  /** Base URL of the service, e.g. `https://api.example.com`. */
  url: string;
  /** Checks run in order each round; a round passes when all pass. */
  checks: ResolvedHealthCheck[];
  /** Overall time limit. Default 120 s. */
  timeoutMs?: number;
  /** Wait between rounds. Default 1 s. */
  intervalMs?: number;
  /** Cap of the backoff interval. Default 5 s. */
  maxIntervalMs?: number;
  /** Backoff factor after failed rounds. Default 1.5. */
  backoffFactor?: number;
  /** Random spread of each interval, 0 to 1. Default 0.2. */
  jitter?: number;
  /** Consecutive passing rounds required. Default 1. */
  successThreshold?: number;
  /** Timeout of one HTTP attempt. Default 5 s. */
  attemptTimeoutMs?: number;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
  clock?: Clock;
  random?: () => number;
  /** Called after every attempt (the engine turns these into `health-check` events). */
  onAttempt?: (attempt: HealthAttempt) => void;
  /** Checked before each round: stop early when the process behind the URL has exited. */
  probe?: () => Promise<{ alive: boolean; reason?: string }>;
}

const MAX_KEPT_ATTEMPTS = 100;

async function attemptCheck(
  options: Required<Pick<VerifyHealthOptions, 'url' | 'attemptTimeoutMs'>> & {
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
    const response = await options.fetch(new URL(check.path, options.url), {
      method: check.method,
      headers: check.headers,
      signal,
      redirect: 'manual',
    });
    const body = check.method === 'HEAD' ? '' : await response.text();
    const error = evaluateResponse(check, response.status, body);
    const latencyMs = options.clock.now() - started;
    return {
      check: check.name,
      round,
      ok: !error,
      status: response.status,
      latencyMs,
      at,
      ...(error ? { error } : {}),
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
 * Usable on its own. Never throws for an unhealthy service: read `healthy` and `reason`.
 */
export async function verifyHealth(options: VerifyHealthOptions): Promise<HealthReport> {
  const clock = options.clock ?? systemClock;
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const threshold = options.successThreshold ?? 1;
  const started = clock.now();
  const deadline = started + timeoutMs;
  const attempts: HealthAttempt[] = [];
  let consecutive = 0;
  let failures = 0;
  let round = 0;
  const report = (healthy: boolean, reason?: string): HealthReport => ({
    healthy,
    url: options.url,
    rounds: round,
    consecutiveSuccesses: consecutive,
    durationMs: clock.now() - started,
    attempts: attempts.slice(-MAX_KEPT_ATTEMPTS),
    ...(reason ? { reason } : {}),
  });

  while (true) {
    if (options.signal?.aborted) return report(false, 'aborted');
    if (options.probe) {
      const liveness = await options
        .probe()
        .catch(() => ({ alive: true }) as { alive: boolean; reason?: string });
      if (!liveness.alive)
        return report(false, `process-exited: ${liveness.reason ?? 'the revision stopped'}`);
    }
    round += 1;
    let roundOk = true;
    for (const check of options.checks) {
      const attempt = await attemptCheck(
        {
          url: options.url,
          attemptTimeoutMs: Math.max(1, Math.min(options.attemptTimeoutMs ?? 5_000, deadline - clock.now())),
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
      if (!attempt.ok) {
        roundOk = false;
        break;
      }
    }
    if (roundOk) {
      consecutive += 1;
      failures = 0;
      if (consecutive >= threshold) return report(true);
    } else {
      consecutive = 0;
      failures += 1;
    }
    const wait = nextInterval({
      base: options.intervalMs ?? 1_000,
      max: options.maxIntervalMs ?? 5_000,
      factor: roundOk ? 1 : (options.backoffFactor ?? 1.5),
      jitter: options.jitter ?? 0.2,
      failures: Math.max(1, failures),
      random: options.random ?? Math.random,
    });
    if (clock.now() + wait > deadline) return report(false, 'timeout');
    try {
      await clock.sleep(wait, options.signal);
    } catch {
      return report(false, 'aborted');
    }
  }
}
