/** One HTTP attempt of one check. */
export interface HealthAttempt {
  check: string;
  /** Round number, from 1. */
  round: number;
  ok: boolean;
  status?: number;
  latencyMs: number;
  /** ISO time the attempt started. */
  at: string;
  /** Why it failed (wrong status, body mismatch, network error…). */
  error?: string;
  /** The start of the body of a failed attempt (at most 200 characters), secrets redacted by the engine. */
  bodyExcerpt?: string;
  /** True when the body was longer than the 1 MiB the verifier reads; checks ran on the first 1 MiB. */
  bodyTruncated?: boolean;
}

/** The verifier's report. JSON-serialisable. */
export interface HealthReport {
  healthy: boolean;
  url: string;
  rounds: number;
  consecutiveSuccesses: number;
  durationMs: number;
  /** The attempts, oldest first (the last 100 at most). */
  attempts: HealthAttempt[];
  /**
   * Why verification failed: `timeout`, `aborted`, `process-exited: …`, or `non-retryable-status`
   * (a check kept answering a status that retrying will not fix; see docs/concepts.md#health).
   */
  reason?: string;
  /** The last failed attempt (its check, status, body excerpt or error), when verification failed. */
  lastFailure?: HealthAttempt;
}

/** A check with its headers resolved to plain strings. */
export interface ResolvedHealthCheck {
  name: string;
  path: string;
  method: 'GET' | 'HEAD';
  expectStatus: number | number[];
  bodyContains?: string;
  json?: Record<string, unknown>;
  headers?: Record<string, string>;
}
