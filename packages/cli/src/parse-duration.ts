import { configError } from './config/config-error.js';

/** `90s`, `10m`, `1h`, `1500ms` or a number of seconds, in milliseconds. Throws a usage error otherwise. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match)
    throw configError('--timeout', [
      {
        path: '--timeout',
        message: `"${text}" is not a duration`,
        hint: 'Give a duration such as 90s, 10m or 1h.',
      },
    ]);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1000;
  return Math.round(value * factor);
}
