import type { Clock } from '@berth/core';
import { isTransientDoError, mapDoError, retryAfterMs, statusOf } from './map-do-error.js';

/** How `withRetry` retries. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  clock: Clock;
  signal?: AbortSignal;
}

/**
 * Call `operation`, retrying 429s (after the wait the answer asks for) and 5xx or unanswered calls
 * (with exponential backoff) on the run's clock; any other error, or the last one, is mapped to a
 * `BerthError` naming `action`.
 */
export async function withRetry<T>(
  action: string,
  policy: RetryPolicy,
  operation: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransientDoError(error)) throw mapDoError(error, action);
      const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
      const asked = statusOf(error) === 429 ? retryAfterMs(error, policy.clock.now()) : undefined;
      await policy.clock.sleep(Math.min(asked ?? backoff, policy.maxDelayMs), policy.signal);
    }
  }
}
