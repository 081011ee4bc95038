import { BerthError } from '../errors/berth-error.js';
import type { HealthAttempt, HealthReport } from './health-report.js';

/** What the last failed attempt got, in words: `answered 503 "starting"` or `got ECONNREFUSED`. */
export function describeAttempt(attempt: HealthAttempt): string {
  if (attempt.status === undefined) return `got ${attempt.error ?? 'no answer'}`;
  const body = attempt.bodyExcerpt ? ` ${JSON.stringify(attempt.bodyExcerpt)}` : '';
  const why = attempt.error && !attempt.error.startsWith('status ') ? ` (${attempt.error})` : '';
  return `answered ${attempt.status}${body}${why}${attempt.bodyTruncated ? ' [body over 1 MiB, cut]' : ''}`;
}

function describeReason(report: HealthReport): string {
  const reason = report.reason ?? 'unknown';
  if (reason === 'timeout') return `no passing round within ${Math.round(report.durationMs / 1000)} s`;
  if (reason === 'non-retryable-status') return 'it kept answering a status that retrying will not fix';
  return reason;
}

/**
 * The `HEALTH_CHECK_FAILED` error for a failed verification: names the failing check and what it last
 * got (status, body excerpt, error) in `message` and `details`. The engine redacts secrets from both.
 */
export function healthCheckFailure(
  report: HealthReport,
  context: { revision: string; url: string; restored?: boolean },
): BerthError {
  const last = report.lastFailure;
  const subject = context.restored ? `Restored revision ${context.revision}` : `Revision ${context.revision}`;
  const check = last ? `: check ${JSON.stringify(last.check)} ${describeAttempt(last)}` : '';
  return new BerthError(
    'HEALTH_CHECK_FAILED',
    `${subject} failed its health checks (${describeReason(report)})${check}`,
    {
      details: {
        reason: report.reason,
        url: context.url,
        rounds: report.rounds,
        durationMs: report.durationMs,
        ...(last
          ? {
              check: last.check,
              lastAttempt: {
                ...(last.status !== undefined ? { status: last.status } : {}),
                ...(last.error ? { error: last.error } : {}),
                ...(last.bodyExcerpt !== undefined ? { bodyExcerpt: last.bodyExcerpt } : {}),
                ...(last.bodyTruncated ? { bodyTruncated: true } : {}),
                at: last.at,
              },
            }
          : {}),
      },
    },
  );
}
