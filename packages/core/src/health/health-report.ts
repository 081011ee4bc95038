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
  /** Why verification failed: `timeout`, `aborted`, `process-exited: …`. */
  reason?: string;
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
