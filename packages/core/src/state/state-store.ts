import type { BerthErrorJson } from '../errors/index.js';
import type { ProviderData, RevisionRecord } from '../provider/provider.js';

/** Current schema version of a service's state. Older versions are migrated on read. */
export const STATE_SCHEMA_VERSION = 2;

/** Timing of one phase of a run. */
export interface PhaseRecord {
  name: PhaseName;
  status: 'succeeded' | 'failed' | 'skipped';
  startedAt: string;
  endedAt: string;
  durationMs: number;
}

/** Phases of a run, in order. */
export type PhaseName =
  | 'validate'
  | 'lock'
  | 'preflight'
  | 'image'
  | 'plan'
  | 'secrets'
  | 'deploy'
  | 'ready'
  | 'public-url'
  | 'verify'
  | 'traffic'
  | 'rollback'
  | 'destroy'
  | 'record';

/** Who ran an operation. */
export interface Actor {
  host: string;
  user: string;
  pid: number;
}

/** One entry of a service's append-only history: the audit trail. */
export interface HistoryEntry {
  /** Unique id of the run. */
  id: string;
  kind: 'deploy' | 'rollback' | 'promotion' | 'destroy';
  status: 'succeeded' | 'failed' | 'rolled-back' | 'rollback-failed' | 'destroyed';
  startedAt: string;
  endedAt: string;
  actor: Actor;
  /** The revision this run created or restored. */
  revision?: string;
  /** The revision serving before the run. */
  previousRevision?: string;
  image?: { ref: string; digest?: string };
  /** True when `revision` passed health verification in this run. */
  verified: boolean;
  /** What `revision` ran (secret values stripped), so a rollback can restore it. */
  record?: RevisionRecord;
  /** For promotions: the source environment. */
  promotedFrom?: string;
  /** For rollbacks: the revision that was rolled back. */
  rolledBackFrom?: string;
  phases: PhaseRecord[];
  error?: BerthErrorJson;
}

/** What is live now, as far as Berth knows. */
export interface CurrentState {
  revision: string;
  url?: string;
  image: { ref: string; digest?: string };
  /** Secret fingerprints, by environment variable (never values). */
  secretFingerprints: Record<string, string>;
  /** True when this revision passed health verification. */
  verified: boolean;
  deployedAt: string;
  record: RevisionRecord;
  data?: ProviderData;
}

/** Everything stored for one service. */
export interface ServiceState {
  schemaVersion: typeof STATE_SCHEMA_VERSION;
  service: string;
  name: string;
  environment: string;
  provider: string;
  /** Key of the secrets' fingerprints (HMAC), base64url. Not a secret value; lets fingerprints be compared. */
  fingerprintKey: string;
  /** Revisions created so far; the next revision id starts with this plus one. */
  revisionCounter: number;
  current?: CurrentState;
  history: HistoryEntry[];
}

/** The owner of a lock. */
export interface LockOwner extends Actor {
  /** Unique id of the run holding it. */
  runId: string;
  startedAt: string;
}

/** A held lock. */
export interface StateLock {
  readonly owner: LockOwner;
  /** Push the expiry forward (the engine calls this while a run is long). */
  renew(now: number): Promise<void>;
  release(): Promise<void>;
}

/** Options for taking a lock. */
export interface LockOptions {
  owner: LockOwner;
  /** The lock expires unless renewed within this time. */
  ttlMs: number;
  /** Take over a lock whose owner is gone or whose TTL passed. Never takes a live lock. */
  takeover?: boolean;
  /** Current time, from the engine's clock. */
  now: number;
}

/** Where Berth keeps per-service state and history. */
export interface StateStore {
  read(service: string): Promise<ServiceState | undefined>;
  /** Replace the service's state atomically: a reader sees the old or the new state, never a mix. */
  write(service: string, state: ServiceState): Promise<void>;
  /** Take the service's lock or throw a `LockError` naming the owner. */
  lock(service: string, options: LockOptions): Promise<StateLock>;
  /** Forget a service's state and history (`down` with `forgetState: true`). */
  remove?(service: string): Promise<void>;
}
