import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

describe('the rate limiter', () => {
  it('counts per token per minute and hour, answers headers, and frees the window as time passes', () => {
    let now = 1_000_000_000_000;
    const limit = createRateLimiter(
      () => ({ perHour: 5, perMinute: 2 }),
      () => now,
    );
    expect(limit('a')).toMatchObject({
      limited: false,
      headers: {
        'ratelimit-limit': '5',
        'ratelimit-remaining': '4',
        'ratelimit-reset': String(now / 1000 + 3600),
      },
    });
    expect(limit('a').limited).toBe(false);
    const over = limit('a');
    expect(over).toMatchObject({
      limited: true,
      retryAfterSeconds: 60,
      headers: { 'ratelimit-remaining': '3' },
    });
    expect(limit('b').limited).toBe(false);
    now += 30_000;
    expect(limit('a')).toMatchObject({ limited: true, retryAfterSeconds: 30 });
    now += 30_001;
    expect(limit('a').limited).toBe(false);
    expect(limit('a').limited).toBe(false);
    now += 60_001;
    expect(limit('a')).toMatchObject({ limited: false, headers: { 'ratelimit-remaining': '0' } });
    // Five in the hour: the next waits for the oldest to expire, an hour after it was made.
    expect(limit('a')).toMatchObject({ limited: true, retryAfterSeconds: 3480 });
  });
});
