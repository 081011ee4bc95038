/**
 * Helpers for provider authors (exported from `@berth/core`): what every cloud provider needs and
 * need not write again.
 */
export { lazySchema } from '../spec/lazy-schema.js';
export { type BackoffPolicy, retryWithBackoff } from './retry-with-backoff.js';
