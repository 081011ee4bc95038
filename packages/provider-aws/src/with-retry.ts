import { type BackoffPolicy, retryWithBackoff } from '@berth/core/plugin-kit';
import { isTransientAwsError, mapAwsError } from './map-aws-error.js';

/** How `withRetry` retries (`retryWithBackoff`'s policy; the longest wait is the provider's). */
export type RetryPolicy = Omit<BackoffPolicy, 'maxDelayMs'>;

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
  try {
    return await retryWithBackoff(operation, isTransientAwsError, { ...policy, maxDelayMs: 20_000 });
  } catch (error) {
    // An abort while waiting rejects with the signal's reason: that is not an API error.
    if (policy.signal?.aborted && error === policy.signal.reason) throw error;
    throw mapAwsError(error, action);
  }
}
