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
  /** Set when this run took over the lock of an earlier run (it crashed, or its lock expired). */
  lockTakeover?: LockTakeover;
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

/** Why a lock was taken over: its TTL passed, its owner's process on this host is gone, or the caller forced it. */
export type LockTakeoverReason = 'expired' | 'owner-gone' | 'forced';

/** The lock a new holder took over, as it was found. */
export interface LockTakeover {
  previousOwner: LockOwner;
  /** When the previous lock expired (or would have), ISO 8601. */
  expiresAt: string;
  reason: LockTakeoverReason;
}

/** A held lock. */
export interface StateLock {
  readonly owner: LockOwner;
  /**
   * The fencing token of this holding: pass it to `StateStore.write` so the store refuses the write
   * once another run holds the lock. Opaque; unique per acquisition of the service's lock.
   */
  readonly fence: string;
  /** Set when this holding took over an earlier lock (the engine records it in history and as an event). */
  readonly takeover?: LockTakeover;
  /**
   * Push the expiry forward (the engine calls this while a run is long). Throws a `LockError` with
   * code `LOCK_LOST` when the lock is no longer this holder's (released, or taken over by another
   * run): the run must stop. After `release()` it does nothing and never re-creates the lock.
   */
  renew(now: number): Promise<void>;
  /** Give the lock back, only if it is still this holder's. Idempotent; never throws for a lost lock. */
  release(): Promise<void>;
}

/** Options for taking a lock. */
export interface LockOptions {
  owner: LockOwner;
  /** The lock expires unless renewed within this time. */
  ttlMs: number;
  /**
   * Take over a held lock before it expires (the caller knows its holder is gone). Without it, a lock
   * whose TTL passed, or whose owner was a process on this host that no longer exists, is still taken
   * over automatically; a live lock gives `LOCK_HELD` (retryable, with `details.expiresAt`).
   */
  takeover?: boolean;
  /** Current time, from the engine's clock. */
  now: number;
}

/** Options of a write. */
export interface WriteOptions {
  /**
   * The fencing token of the lock the writer holds (`StateLock.fence`). The store checks, atomically
   * with the write, that this holding is still the service's lock, and throws `LOCK_LOST` otherwise.
   * Writes without a fence (tools, migrations) are not checked.
   */
  fence?: string;
}

/**
 * Where Berth keeps per-service state and history. `describeStateStoreConformance` from
 * `@berth/core/conformance` is the suite every implementation passes (docs/state.md).
 */
export interface StateStore {
  read(service: string): Promise<ServiceState | undefined>;
  /**
   * Replace the service's state atomically: a reader sees the old or the new state, never a mix.
   * History is append-only: a write whose history does not start with the stored history fails with
   * `STATE_CONFLICT`. With `fence`, a writer that lost its lock fails with `LOCK_LOST`.
   */
  write(service: string, state: ServiceState, options?: WriteOptions): Promise<void>;
  /** Take the service's lock or throw a `LockError` naming the owner. */
  lock(service: string, options: LockOptions): Promise<StateLock>;
  /** Forget a service's state and history (`down` with `forgetState: true`). */
  remove?(service: string): Promise<void>;
}
