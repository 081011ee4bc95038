import { BerthError, type ErrorCode, ProviderError } from '@berth/core';

/** The parts of an axios error Berth reads: never its `config`, which holds the token and request body. */
interface AxiosLike {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
}

/** DigitalOcean's error body, `{ id, message, request_id }`. */
export interface DoErrorBody {
  id?: string;
  message?: string;
  request_id?: string;
}

const asAxios = (error: unknown): AxiosLike =>
  typeof error === 'object' && error !== null ? (error as AxiosLike) : {};

/** The HTTP status of a failed API call; `undefined` when no answer came (network, timeout). */
export function statusOf(error: unknown): number | undefined {
  return asAxios(error).response?.status;
}

/** The error body of a failed API call. */
export function errorBodyOf(error: unknown): DoErrorBody {
  const data = asAxios(error).response?.data;
  return typeof data === 'object' && data !== null ? (data as DoErrorBody) : {};
}

const header = (error: unknown, name: string): string | undefined => {
  const value = asAxios(error).response?.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
};

/** Retry a 429 (rate limit), a 5xx or a call that got no answer; never a 4xx the caller must fix. */
export function isTransientDoError(error: unknown): boolean {
  if (BerthError.isInstance(error)) return false;
  const status = statusOf(error);
  if (status === undefined) return asAxios(error).isAxiosError === true;
  return status === 429 || status >= 500;
}

/**
 * How long a 429 asks to wait, in ms: `retry-after` (seconds), else until `ratelimit-reset` (epoch
 * seconds) when the hourly budget is spent; `undefined` when the answer says nothing.
 */
export function retryAfterMs(error: unknown, nowMs: number): number | undefined {
  const retryAfter = Number(header(error, 'retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
  const remaining = Number(header(error, 'ratelimit-remaining'));
  const reset = Number(header(error, 'ratelimit-reset'));
  if (remaining === 0 && Number.isFinite(reset)) return Math.max(0, reset * 1000 - nowMs);
  return undefined;
}

const hints: Partial<Record<ErrorCode, string>> = {
  PROVIDER_PERMISSION_DENIED:
    'Check the DigitalOcean token: it must be valid and have read and write access to App Platform (`app`) and the Container Registry (`registry`); see docs/providers/do.md#token.',
  PROVIDER_NOT_FOUND: 'The app or deployment no longer exists; run `up` again to create it.',
  PROVIDER_CONFLICT: 'Another app already has this name, or another operation changed it; run again.',
  PROVIDER_QUOTA_EXCEEDED:
    'DigitalOcean rate-limited the token (5,000 requests an hour, 250 a minute): wait and run again, or spread the calls over more tokens.',
  PROVIDER_UNAVAILABLE:
    'The DigitalOcean API did not answer or failed: run again in a moment (status.digitalocean.com).',
  PROVIDER_REQUEST_FAILED:
    'DigitalOcean refused the request as sent; the message names the field. Fix the spec or the provider options.',
};

/**
 * The one place DigitalOcean API errors (axios errors with `{ id, message, request_id }`) become
 * `BerthError`s. The axios error is not kept as `cause`: its `config` carries the bearer token and
 * the request body (with plaintext secret values); the cause is a plain error with the status and body.
 */
export function mapDoError(error: unknown, action: string): BerthError {
  if (BerthError.isInstance(error)) return error;
  const status = statusOf(error);
  const body = errorBodyOf(error);
  const code: ErrorCode =
    status === 401 || status === 403
      ? 'PROVIDER_PERMISSION_DENIED'
      : status === 404
        ? 'PROVIDER_NOT_FOUND'
        : status === 409
          ? 'PROVIDER_CONFLICT'
          : status === 429
            ? 'PROVIDER_QUOTA_EXCEEDED'
            : status === undefined || status >= 500
              ? 'PROVIDER_UNAVAILABLE'
              : 'PROVIDER_REQUEST_FAILED';
  const reason =
    body.message ??
    (status === undefined
      ? `no answer (${asAxios(error).code ?? asAxios(error).message ?? 'network error'})`
      : `HTTP ${status}`);
  const cause = new Error(`HTTP ${status ?? '-'} ${body.id ?? ''}: ${reason}`.replace(/\s+:/, ':'));
  cause.name = 'DigitalOceanApiError';
  return new ProviderError(
    code,
    `DigitalOcean API: ${action}: ${reason}${body.request_id ? ` (request ${body.request_id})` : ''}`,
    {
      cause,
      retryable:
        code === 'PROVIDER_UNAVAILABLE' || code === 'PROVIDER_QUOTA_EXCEEDED' || code === 'PROVIDER_CONFLICT',
      ...(hints[code] ? { hint: hints[code] } : {}),
      details: {
        action,
        ...(status === undefined ? {} : { status }),
        ...(body.id ? { id: body.id } : {}),
        ...(body.request_id ? { requestId: body.request_id } : {}),
      },
    },
  );
}
