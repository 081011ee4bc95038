/**
 * Whether a status that a check did not accept means "broken" rather than "not ready yet". Pure.
 *
 * - 4xx other than 408 (timeout), 425 (too early) and 429 (too many requests): non-retryable.
 * - 500, 501 and 505–599: the service is up and failing: non-retryable.
 * - 502, 503, 504 (gateway errors, unavailable): retryable while the service starts; non-retryable
 *   once `serviceUp` (a check passed earlier in the same verification).
 * - Anything else (1xx, 2xx, 3xx not in `expectStatus`): retryable.
 */
export function isNonRetryableStatus(status: number, serviceUp: boolean): boolean {
  if (status >= 400 && status < 500) return status !== 408 && status !== 425 && status !== 429;
  if (status >= 500 && status < 600) return serviceUp || (status !== 502 && status !== 503 && status !== 504);
  return false;
}

/** How long one check must answer non-retryable statuses, on every attempt, before verification stops. */
export const DEFAULT_FAIL_FAST_AFTER_MS = 10_000;
/** …and on at least this many attempts in a row. */
export const FAIL_FAST_MIN_ATTEMPTS = 3;
