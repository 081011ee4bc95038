import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../testing/fake-clock.js';
import { retryWithBackoff } from './retry-with-backoff.js';

const busy = Object.assign(new Error('busy'), { retryable: true });
const isRetryable = (error: unknown) => (error as { retryable?: boolean }).retryable === true;

describe('retryWithBackoff', () => {
  it('calls again after a retryable error, doubling the wait up to the longest', async () => {
    const clock = createFakeClock();
    let calls = 0;
    const result = await retryWithBackoff(
      async () => {
        calls += 1;
        if (calls < 5) throw busy;
        return 'done';
      },
      isRetryable,
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 300, clock },
    );
    expect(result).toBe('done');
    expect(clock.sleeps).toEqual([100, 200, 300, 300]);
  });

  it('throws the first error that is not retryable at once, and the last one when attempts run out', async () => {
    const clock = createFakeClock();
    const fatal = new Error('bad request');
    await expect(
      retryWithBackoff(() => Promise.reject(fatal), isRetryable, { attempts: 3, baseDelayMs: 1, clock }),
    ).rejects.toBe(fatal);
    expect(clock.sleeps).toEqual([]);
    let calls = 0;
    const exhausted = retryWithBackoff(
      () => {
        calls += 1;
        return Promise.reject(busy);
      },
      isRetryable,
      { attempts: 2, baseDelayMs: 1, clock },
    );
    await expect(exhausted).rejects.toBe(busy);
    expect(calls).toBe(2);
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = createFakeClock({ autoAdvance: false });
    const controller = new AbortController();
    const pending = retryWithBackoff(() => Promise.reject(busy), isRetryable, {
      attempts: 3,
      baseDelayMs: 1_000,
      clock,
      signal: controller.signal,
    });
    await Promise.resolve();
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
  });
});
