import { type BackoffPolicy, retryWithBackoff } from '@berth/core/plugin-kit';
import { isTransientGcpError, mapGcpError } from './map-gcp-error.js';

/** How `withRetry` retries (`retryWithBackoff`'s policy; the longest wait is the provider's). */
export type RetryPolicy = Omit<BackoffPolicy, 'maxDelayMs'>;

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
  try {
    return await retryWithBackoff(operation, isTransientGcpError, { ...policy, maxDelayMs: 10_000 });
  } catch (error) {
    // An abort while waiting rejects with the signal's reason: that is not an API error.
    if (policy.signal?.aborted && error === policy.signal.reason) throw error;
    throw mapGcpError(error, action);
  }
}
