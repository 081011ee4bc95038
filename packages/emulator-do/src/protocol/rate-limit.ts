/** DigitalOcean's documented API limits: 5,000 requests an hour and 250 a minute per token. */
export interface RateLimitSettings {
  perHour: number;
  perMinute: number;
}

/** What one request sees of the limits: its headers, and whether it is over. */
export interface RateLimitAnswer {
  headers: Record<string, string>;
  limited: boolean;
  /** Seconds until a request would be admitted again (for `retry-after`). */
  retryAfterSeconds: number;
}

/**
 * A sliding-window limiter per token, as DigitalOcean's: `ratelimit-limit` is the hourly limit,
 * `ratelimit-remaining` what is left of it, `ratelimit-reset` the epoch second the oldest counted
 * request expires. A request over either limit is not counted.
 */
export function createRateLimiter(settings: () => RateLimitSettings, now: () => number) {
  const seen = new Map<string, number[]>();
  return (token: string): RateLimitAnswer => {
    const at = now();
    const limits = settings();
    const recent = (seen.get(token) ?? []).filter((time) => time > at - 3_600_000);
    const lastMinute = recent.filter((time) => time > at - 60_000);
    const limited = recent.length >= limits.perHour || lastMinute.length >= limits.perMinute;
    if (!limited) recent.push(at);
    seen.set(token, recent);
    const oldest = recent[0] ?? at;
    const retryAt =
      recent.length >= limits.perHour
        ? oldest + 3_600_000
        : lastMinute.length >= limits.perMinute
          ? (lastMinute[0] ?? at) + 60_000
          : at;
    return {
      limited,
      retryAfterSeconds: Math.max(1, Math.ceil((retryAt - at) / 1000)),
      headers: {
        'ratelimit-limit': String(limits.perHour),
        'ratelimit-remaining': String(Math.max(0, limits.perHour - recent.length)),
        'ratelimit-reset': String(Math.ceil((oldest + 3_600_000) / 1000)),
      },
    };
  };
}
