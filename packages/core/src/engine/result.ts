import type { BerthErrorJson } from '../errors/index.js';
import type { HealthReport } from '../health/health-report.js';
import type { Plan } from '../plan/plan.js';
import type { PhaseRecord } from '../state/state-store.js';

/** Outcome of a rollback inside a run. */
export interface RollbackOutcome {
  /** False when there was nothing to roll back to. */
  attempted: boolean;
  from?: string;
  to?: string;
  status: 'succeeded' | 'failed' | 'skipped';
  /**
   * Who brought `to` back: `engine` (a restore it ran), or `platform` when the platform kept or
   * restored it on its own (verify before traffic, a platform rollback) and nothing was redeployed.
   */
  by?: 'engine' | 'platform';
  reason: string;
  health?: HealthReport;
  error?: BerthErrorJson;
}

/**
 * The result of `up`, `deploy`, `rollback` and `promote`. JSON-serialisable, stable field names.
 * `succeeded` and `noop` are the only successes: a failed or rolled-back deploy is never reported as one.
 */
export interface DeployResult {
  status: 'succeeded' | 'noop' | 'failed' | 'rolled-back' | 'rollback-failed';
  /** The deployed service name, `${name}-${environment}`. */
  service: string;
  runId: string;
  url?: string;
  /** The revision serving after the run. */
  revision?: string;
  image?: { ref: string; digest?: string };
  plan?: Plan;
  phases: PhaseRecord[];
  health?: HealthReport;
  rollback?: RollbackOutcome;
  error?: BerthErrorJson;
  /** Secret names with their masked values, e.g. `{ SUPERVAIZER_API_KEY: 'qK3x…(43 chars)' }`, for display. */
  secrets?: Record<string, string>;
}

/** The result of `down`. */
export interface DownResult {
  status: 'destroyed' | 'noop' | 'failed';
  service: string;
  removed: string[];
  deletedSecrets: string[];
  phases: PhaseRecord[];
  error?: BerthErrorJson;
}

/** The result of `status`. */
export interface StatusResult {
  service: string;
  exists: boolean;
  url?: string;
  revision?: string;
  image?: { ref?: string; digest?: string };
  ready: boolean;
  /** One quick round of the health checks, unless disabled. */
  healthy?: boolean;
  env: Record<string, string>;
  secrets: string[];
  drift: Plan['drift'];
  lastDeploy?: { id: string; status: string; at: string; revision?: string };
  revisions?: { revision: string; status?: string; traffic?: number }[];
}
