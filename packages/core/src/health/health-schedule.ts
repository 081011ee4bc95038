/**
 * The health verifier's polling schedule. Pure: the verifier asks it how long to wait before the
 * next round. Documented in docs/concepts.md#health.
 */

/** First wait between rounds when the spec sets no `intervalMs`. */
export const DEFAULT_HEALTH_INTERVAL_MS = 25;
/** Cap of the backoff after answered failures when the spec sets no `maxIntervalMs` (at least `intervalMs`). */
export const DEFAULT_HEALTH_MAX_INTERVAL_MS = 1_000;
/** Backoff factor after a failed round. */
export const DEFAULT_HEALTH_BACKOFF_FACTOR = 1.5;
/** Random spread of each wait, ±20 %. */
export const DEFAULT_HEALTH_JITTER = 0.2;
/**
 * Cap of the backoff while nothing answers (connection refused or reset): probing a port nobody
 * listens on costs the service nothing, so Berth keeps looking often and notices it within ~50 ms.
 * Never below `intervalMs`.
 */
export const NOT_LISTENING_MAX_INTERVAL_MS = 50;

/** The schedule's settings, as the spec or `verifyHealth`'s options give them. */
export interface HealthSchedule {
  /** First wait, and the wait after a passing round. */
  intervalMs: number;
  /** Cap of the backoff after failed rounds that got an HTTP answer. */
  maxIntervalMs: number;
  backoffFactor: number;
  jitter: number;
}

/** Fill in the defaults; an explicit `intervalMs` larger than the default cap raises the cap to it. */
export function resolveHealthSchedule(options: {
  intervalMs?: number | undefined;
  maxIntervalMs?: number | undefined;
  backoffFactor?: number | undefined;
  jitter?: number | undefined;
}): HealthSchedule {
  const intervalMs = options.intervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
  return {
    intervalMs,
    maxIntervalMs: options.maxIntervalMs ?? Math.max(intervalMs, DEFAULT_HEALTH_MAX_INTERVAL_MS),
    backoffFactor: options.backoffFactor ?? DEFAULT_HEALTH_BACKOFF_FACTOR,
    jitter: options.jitter ?? DEFAULT_HEALTH_JITTER,
  };
}

/** Next wait between rounds: grows by `factor` after a failed round, capped; jitter of ±`jitter`. */
export function nextInterval(options: {
  base: number;
  max: number;
  factor: number;
  jitter: number;
  failures: number;
  random: () => number;
}): number {
  const grown = Math.min(options.max, options.base * options.factor ** Math.max(0, options.failures - 1));
  const spread = grown * options.jitter * (options.random() * 2 - 1);
  return Math.max(0, Math.round(grown + spread));
}

/**
 * The wait before the next round. `failures` is the number of failed rounds in a row (0 after a
 * passing round); `answered` says whether the last failed round got an HTTP answer. While nothing
 * answers, the cap is `NOT_LISTENING_MAX_INTERVAL_MS` (never below `intervalMs`, never above
 * `maxIntervalMs`), so a service that starts late is found fast; once it answers with a failure, the
 * backoff grows to `maxIntervalMs`, so a slow service is not hammered.
 */
export function nextHealthWait(
  schedule: HealthSchedule,
  last: { failures: number; answered: boolean },
  random: () => number,
): number {
  const notListeningCap = Math.min(
    schedule.maxIntervalMs,
    Math.max(schedule.intervalMs, NOT_LISTENING_MAX_INTERVAL_MS),
  );
  return nextInterval({
    base: schedule.intervalMs,
    max: last.failures === 0 || last.answered ? schedule.maxIntervalMs : notListeningCap,
    factor: last.failures === 0 ? 1 : schedule.backoffFactor,
    jitter: schedule.jitter,
    failures: Math.max(1, last.failures),
    random,
  });
}
