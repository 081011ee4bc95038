import type { Clock } from '../ports/clock.js';

/** How `retryWithBackoff` retries. */
export interface BackoffPolicy {
  /** Calls in all, the first included (1: no retry). */
  attempts: number;
  /** Wait before the second call; doubled before each further one. */
  baseDelayMs: number;
  /** Longest wait between two calls. Default 10 s. */
  maxDelayMs?: number;
  /** The run's clock (`context.clock`), so tests with a fake clock wait no real time. */
  clock: Clock;
  /** Stops the waiting (the clock's `sleep` rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Call `operation`, calling it again while it fails with an error `isRetryable` accepts (throttling,
 * 503s: a provider's own test), waiting `baseDelayMs`, then twice that, … (at most `maxDelayMs`) on
 * the injected clock. The last error, or the first one that is not retryable, is thrown as it is:
 * map it to a `BerthError` at the provider's edge. For provider authors whose SDK calls make one
 * attempt each.
 */
export async function retryWithBackoff<T>(
  operation: () => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: BackoffPolicy,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      const delay = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs ?? 10_000);
      await policy.clock.sleep(delay, policy.signal);
    }
  }
}
