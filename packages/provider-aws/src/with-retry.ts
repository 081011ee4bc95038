import type { Clock } from '@berth/core';
import { isTransientAwsError, mapAwsError } from './map-aws-error.js';

/** How `withRetry` retries. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  clock: Clock;
  signal?: AbortSignal;
}

/**
 * Call `operation`, retrying throttling and transient API errors with exponential backoff on the
 * run's clock (the clients Berth creates make one attempt each); any other error, or the last one, is mapped to a
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
      if (attempt >= policy.attempts || !isTransientAwsError(error)) throw mapAwsError(error, action);
      await policy.clock.sleep(Math.min(policy.baseDelayMs * 2 ** (attempt - 1), 20_000), policy.signal);
    }
  }
}
