import type { Clock } from '../ports/clock.js';

/** A clock under the test's control. */
export interface FakeClock extends Clock {
  /** Move time forward, resolving sleeps that end on the way. */
  advance(ms: number): Promise<void>;
  /** Every sleep requested so far, in ms (to assert backoff). */
  readonly sleeps: number[];
}

/**
 * A fake clock. With `autoAdvance` (default) every `sleep` moves time forward at once, so health
 * checks and backoff run in milliseconds of real time; without it, call `advance`.
 */
export function createFakeClock(options: { now?: number; autoAdvance?: boolean } = {}): FakeClock {
  let now = options.now ?? Date.parse('2026-01-01T00:00:00.000Z');
  const autoAdvance = options.autoAdvance ?? true;
  const sleeps: number[] = [];
  const pending: { until: number; resolve: () => void }[] = [];
  return {
    now: () => now,
    sleeps,
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (autoAdvance) {
        now += ms;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const entry = { until: now + ms, resolve };
        pending.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            pending.splice(pending.indexOf(entry), 1);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      const target = now + ms;
      while (true) {
        pending.sort((left, right) => left.until - right.until);
        const next = pending[0];
        if (!next || next.until > target) break;
        pending.shift();
        now = next.until;
        next.resolve();
        await Promise.resolve();
      }
      now = target;
    },
  };
}
