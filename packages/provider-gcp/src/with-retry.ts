import type { Clock } from '@berth/core';
import { isTransientGcpError, mapGcpError } from './map-gcp-error.js';

/** How `withRetry` retries. */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  clock: Clock;
  signal?: AbortSignal;
}

/**
 * Call `operation`, retrying transient API errors (503, 429, 504 and their gRPC codes) with
 * exponential backoff on the injected clock; any other error, or the last one, is mapped to a
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
      if (attempt >= policy.attempts || !isTransientGcpError(error)) throw mapGcpError(error, action);
      await policy.clock.sleep(Math.min(policy.baseDelayMs * 2 ** (attempt - 1), 10_000), policy.signal);
    }
  }
}
