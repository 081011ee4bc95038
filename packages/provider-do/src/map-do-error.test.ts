import { createFakeClock } from '@berth/core/testing';
import { describe, expect, it } from 'vitest';
import { isTransientDoError, mapDoError, retryAfterMs } from './map-do-error.js';
import { withRetry } from './with-retry.js';

/** An axios error as dots-wrapper rejects with: the request config holds the token and the body. */
const axiosError = (status: number | undefined, data: unknown = {}, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`Request failed with status code ${status}`), {
    isAxiosError: true,
    ...(status === undefined ? { code: 'ECONNRESET' } : { response: { status, data, headers } }),
    config: { headers: { Authorization: 'Bearer dop_v1_secret' }, data: '{"value":"s3cret"}' },
  });

describe('mapDoError', () => {
  it.each([
    [401, 'unauthorized', 'PROVIDER_PERMISSION_DENIED', false],
    [403, 'forbidden', 'PROVIDER_PERMISSION_DENIED', false],
    [404, 'not_found', 'PROVIDER_NOT_FOUND', false],
    [409, 'conflict', 'PROVIDER_CONFLICT', true],
    [429, 'too_many_requests', 'PROVIDER_QUOTA_EXCEEDED', true],
    [400, 'invalid_argument', 'PROVIDER_REQUEST_FAILED', false],
    [422, 'unprocessable_entity', 'PROVIDER_REQUEST_FAILED', false],
    [503, 'service_unavailable', 'PROVIDER_UNAVAILABLE', true],
  ])('%i %s → %s', (status, id, code, retryable) => {
    const mapped = mapDoError(
      axiosError(status, { id, message: 'the message', request_id: 'r-1' }),
      'create app',
    );
    expect(mapped).toMatchObject({
      code,
      retryable,
      details: { action: 'create app', status, id, requestId: 'r-1' },
    });
    expect(mapped.message).toBe('DigitalOcean API: create app: the message (request r-1)');
    expect(mapped.hint).toBeTruthy();
  });

  it('maps a call without an answer to PROVIDER_UNAVAILABLE', () => {
    expect(mapDoError(axiosError(undefined), 'list apps')).toMatchObject({
      code: 'PROVIDER_UNAVAILABLE',
      retryable: true,
    });
  });

  it('never keeps the axios error, whose config holds the token and the request body', () => {
    const mapped = mapDoError(
      axiosError(400, { id: 'invalid_argument', message: 'bad field' }),
      'create app',
    );
    const chain = JSON.stringify({ error: mapped, cause: mapped.cause, json: mapped.toJSON?.() });
    expect(chain).not.toContain('dop_v1_secret');
    expect(chain).not.toContain('s3cret');
    expect((mapped.cause as Error).name).toBe('DigitalOceanApiError');
  });
});

describe('retries', () => {
  it('reads retry-after, or the rate-limit reset when the budget is spent', () => {
    expect(retryAfterMs(axiosError(429, {}, { 'retry-after': '3' }), 0)).toBe(3_000);
    expect(
      retryAfterMs(axiosError(429, {}, { 'ratelimit-remaining': '0', 'ratelimit-reset': '100' }), 90_000),
    ).toBe(10_000);
    expect(retryAfterMs(axiosError(429), 0)).toBeUndefined();
    expect(isTransientDoError(axiosError(400))).toBe(false);
    expect(isTransientDoError(axiosError(502))).toBe(true);
  });

  it('waits as a 429 asks, backs off on 5xx, and maps the last error', async () => {
    const clock = createFakeClock();
    const answers = [axiosError(429, {}, { 'retry-after': '7' }), axiosError(500), 'ok'];
    const result = await withRetry(
      'get app',
      { attempts: 3, baseDelayMs: 100, maxDelayMs: 60_000, clock },
      async () => {
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next;
      },
    );
    expect(result).toBe('ok');
    expect(clock.sleeps).toEqual([7_000, 200]);
    const failing = withRetry('get app', { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, clock }, () =>
      Promise.reject(axiosError(429, { id: 'too_many_requests', message: 'API rate limit exceeded.' })),
    );
    await expect(failing).rejects.toMatchObject({ code: 'PROVIDER_QUOTA_EXCEEDED' });
  });

  it('does not retry a request the caller must fix', async () => {
    const clock = createFakeClock();
    let calls = 0;
    await expect(
      withRetry('create app', { attempts: 5, baseDelayMs: 1, maxDelayMs: 1, clock }, () => {
        calls += 1;
        return Promise.reject(axiosError(400, { id: 'invalid_argument', message: 'bad' }));
      }),
    ).rejects.toMatchObject({ code: 'PROVIDER_REQUEST_FAILED' });
    expect(calls).toBe(1);
  });
});
