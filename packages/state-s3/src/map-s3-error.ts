import { BerthError, StateError } from '@berth/core';

/** The HTTP status of an S3 SDK error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** A conditional write lost: 412 Precondition Failed, or 409 ConditionalRequestConflict (a concurrent conditional write). */
export function isPreconditionFailed(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return (
    statusOf(error) === 412 ||
    name === 'PreconditionFailed' ||
    (statusOf(error) === 409 && name === 'ConditionalRequestConflict')
  );
}

const UNAVAILABLE_NAMES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
  'ECONNREFUSED',
  'ECONNRESET',
]);

/** Translate what the S3 SDK throws into a `BerthError` (after the SDK's own retries); Berth's errors pass through. */
export function mapS3Error(error: unknown, what: string): BerthError {
  if (BerthError.isInstance(error)) return error;
  const status = statusOf(error);
  const name = (error as { name?: string; code?: string } | undefined)?.name ?? '';
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (status === 403 || name === 'AccessDenied')
    return new StateError('STATE_STORE_UNAVAILABLE', `S3 state store: ${what} was denied: ${message}`, {
      hint: 'Grant s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on the bucket and prefix (docs/state.md).',
      cause: error,
    });
  if (status === 404 && name === 'NoSuchBucket')
    return new StateError('STATE_STORE_UNAVAILABLE', `S3 state store: the bucket does not exist (${what})`, {
      hint: 'Create the bucket first (Berth never creates buckets), or fix `bucket` and `region`.',
      cause: error,
    });
  const transient =
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    UNAVAILABLE_NAMES.has(name) ||
    UNAVAILABLE_NAMES.has(code);
  return new StateError(
    'STATE_STORE_UNAVAILABLE',
    `S3 state store: ${what} failed: ${name || 'error'} ${message}`,
    {
      retryable: transient,
      cause: error,
    },
  );
}
