/**
 * The provider contract, version 1. Third-party plugins build against these types: changing them is a
 * breaking release. Required members are few; optional members are capabilities the engine detects.
 */
import type { ValidationIssue } from '../errors/index.js';
import type { Clock } from '../ports/clock.js';
import type { ImageBuilder, ImageTarget, PreflightCheck } from '../ports/image-builder.js';
import type { JsonValue, Resources, ServiceSpec } from '../spec/service-spec.js';

export type { ImageTarget, PreflightCheck, JsonValue };

/** Provider-opaque data, JSON-serialisable, stored with the state (never secret values). */
export type ProviderData = { [key: string]: JsonValue };

/** Which service a call is about. */
export interface ServiceTarget {
  /** The deployed name, `${name}-${environment}`. */
  service: string;
  name: string;
  environment: string;
}

/** What the engine hands every provider call. */
export interface ProviderContext {
  signal: AbortSignal;
  clock: Clock;
  /** Report progress of a long step (enough for a progress bar). */
  progress(update: ProgressUpdate): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, JsonValue>): void;
  /**
   * Register a credential the provider handles (an access token, a registry password, a private key)
   * so that the engine redacts it from every event, result, error and record. The engine always
   * provides it; optional only for contexts built by hand.
   */
  redact?(value: string): void;
}

export interface ProgressUpdate {
  /** What is progressing, e.g. `push`, `upload`, `operation`. */
  step: string;
  message?: string;
  current?: number;
  total?: number;
  /** `bytes`, `files`, `layers`… */
  unit?: string;
}

/** A secret the service uses: a reference into the provider's secret store, and its fingerprint. */
export interface SecretBinding {
  /** Provider reference, e.g. `projects/p/secrets/s/versions/3` or an ARN. */
  ref?: string;
  /** Keyed fingerprint of the value (`hmac-sha256:…`); compared instead of the value. */
  fingerprint: string;
  /**
   * The value itself, only for providers without a `secrets` store, which must inject it directly.
   * The engine strips it before anything is recorded.
   */
  value?: string;
}

/** The service as the engine wants it to run. */
export interface DesiredService extends ServiceTarget {
  /** Revision id chosen by the engine: `${sequence}-${hash}`, unique per service. */
  revision: string;
  image: { ref: string; digest?: string };
  port: number;
  env: Record<string, string>;
  /** Secret environment variables, by name. */
  secrets: Record<string, SecretBinding>;
  /** Primary health path, for providers with native health probes. Same as `health.path`. */
  healthPath: string;
  /**
   * The spec's health settings, for platforms with native probes (App Runner, App Platform,
   * Kubernetes). The engine always fills it; providers written before it existed may ignore it.
   */
  health?: DesiredHealth;
  resources: Resources;
  public: boolean;
  /**
   * The provider's own options that change what runs (`Provider.desiredOptions`), as the engine
   * planned them: part of the revision hash, the plan (`provider.<key>`) and drift. Apply them.
   */
  provider?: ProviderOptionValues;
}

/** The spec's health settings, as handed to providers with native health probes. */
export interface DesiredHealth {
  /** Primary path, checked with `GET`, expecting 200. */
  path: string;
  /** The container port the checks reach (the spec's `port`). */
  port: number;
  intervalMs: number;
  maxIntervalMs: number;
  /** Overall verification timeout. */
  timeoutMs: number;
  /** Timeout of one HTTP attempt. */
  attemptTimeoutMs: number;
  /** Consecutive passing rounds required. */
  successThreshold: number;
  /** Headers of the primary path's request (values may be secrets: never log them). */
  headers?: Record<string, string>;
}

/** Values of a provider's desired-state options, by option name (plan path `provider.<name>`). */
export type ProviderOptionValues = { [key: string]: string | number | boolean | null };

/**
 * A field the provider cannot read back from the platform. The planner never counts it as a change
 * or drift. Use it in `ObservedService` instead of guessing a value.
 */
export const UNKNOWN = 'unknown' as const;
/** See `UNKNOWN`. */
export type Unknown = typeof UNKNOWN;

/** The live service, as observed from the provider: the truth for plans and drift. */
export interface ObservedService {
  service: string;
  url?: string;
  /** The revision serving traffic (the latest one when traffic is split). */
  revision?: string;
  image?: { ref?: string; digest?: string };
  /** Absent or `'unknown'`: the provider cannot read it; never planned as a change. */
  port?: number | Unknown;
  env: Record<string, string>;
  /**
   * Secret environment variables with the fingerprint the provider recorded (never values). A
   * missing fingerprint is filled from the target's ledger entry of the serving revision.
   */
  secrets: Record<string, { ref?: string; fingerprint?: string }>;
  /** Resource fields the provider reads; an absent field is unknown, never a change. */
  resources?: Resources;
  /** Absent or `'unknown'`: the provider cannot read it; never planned as a change. */
  public?: boolean | Unknown;
  /**
   * The live values of the provider's desired-state options (`Provider.desiredOptions`); an absent
   * key or `'unknown'` is not a change.
   */
  provider?: { [key: string]: string | number | boolean | null | Unknown };
  traffic?: TrafficTarget[];
  /** True when the provider reports the service ready to serve. A `false` is repaired by `up`. */
  ready: boolean;
  /**
   * False when the service's process is known not to run (a stopped container, a failed unit).
   * Absent: running as far as the provider knows. Like `ready: false`, `up` repairs it.
   */
  running?: boolean;
  /**
   * The platform is busy with another operation on this service (App Runner runs one at a time).
   * The engine waits for it to end, up to a bound, and then fails with a retryable `PROVIDER_BUSY`
   * instead of colliding.
   */
  busy?: { operation: string; since?: string };
  data?: ProviderData;
}

export interface TrafficTarget {
  revision: string;
  percent: number;
  tag?: string;
}

/** What `apply` (create or update) produced. */
export interface ApplyOutcome {
  /** The revision created (or restored). */
  revision: string;
  /** The service's stable URL, when known. */
  url?: string;
  /**
   * Verify-before-traffic: the new revision serves no users yet and answers here (e.g. a tagged
   * revision URL). The engine verifies this URL, then calls `shiftTraffic`.
   */
  candidateUrl?: string;
  /** What the platform did on its own while applying, when it acted (see `PlatformAction`). */
  platform?: PlatformAction;
  data?: ProviderData;
}

/**
 * What a platform did on its own, told to the engine so that it records the truth and does not
 * redeploy what already runs. Return it in `ApplyOutcome.platform`, or put it in the `details.platform`
 * of the `BerthError` `apply`/`waitReady` throws (`platformActionOf(error)` reads it back).
 *
 * - `never-took-traffic`: the new revision was created but never served users (verify-before-traffic,
 *   or the platform refused it); what served before still serves (`serving`, when known).
 * - `restored`: the platform rolled back by itself to `revision` (App Runner's and App Platform's own
 *   rollback). The engine records `revision` as live and does not restore it again.
 */
export type PlatformAction =
  | { kind: 'never-took-traffic'; revision: string; serving?: string }
  | { kind: 'restored'; revision: string; from?: string };

/** A revision the provider knows about. */
export interface RevisionInfo {
  revision: string;
  image?: { ref?: string; digest?: string };
  createdAt?: string;
  /** Percentage of traffic it serves. */
  traffic?: number;
  /** e.g. `running`, `stopped`, `retired`, `failed`. */
  status?: string;
}

/** A revision recorded in history, with what it ran (secret values stripped). */
export interface RevisionRecord {
  revision: string;
  desired: DesiredService;
  url?: string;
  data?: ProviderData;
}

/**
 * What the target keeps about one revision: enough to restore it and to prove it passed
 * verification, whoever deployed it. Written by the engine through `Provider.ledger`.
 */
export interface LedgerRevision {
  revision: string;
  /** What it runs: image (with digest), env, secret references (versions) and fingerprints; never values. */
  record: RevisionRecord;
  /** ISO time `apply` created it. */
  deployedAt: string;
  /** ISO time it last passed health verification; absent: never verified. */
  verifiedAt?: string;
  /** ISO time it failed verification (or its rollback failed) last. */
  failedAt?: string;
  /** The run that wrote it (as in history). */
  runId?: string;
}

/**
 * The convergence data a provider keeps with the target (a label or annotation set, a small record
 * on the host, an object in the platform's store), so that a fresh or different state store converges
 * to the same plan, secrets and rollback target. Small: the engine keeps the newest revisions only.
 */
export interface TargetLedger {
  /** Format version of this document: 1. */
  version: 1;
  /** Key of the secrets' fingerprints (HMAC), base64url. Not a secret value. */
  fingerprintKey: string;
  /** Highest revision sequence the target has seen, so revision ids never go back. */
  revisionCounter: number;
  /** Revisions, oldest first (at most `LEDGER_MAX_REVISIONS`). */
  revisions: LedgerRevision[];
}

/** How many revisions the engine keeps in a ledger. */
export const LEDGER_MAX_REVISIONS = 20;

/**
 * Where a provider keeps the `TargetLedger` of a service, with the target. The engine reads it in
 * `plan`, `status`, `history` and every run, and writes it (under the run's locks) after `apply`,
 * after verification, after a rollback and after `down` (`clear`).
 */
export interface ProviderLedgerStore {
  /** The service's ledger, or `undefined` when the target has none. Must not change anything. */
  read(context: ProviderContext, target: ServiceTarget): Promise<TargetLedger | undefined>;
  /** Replace the ledger; readers see the old or the new one. Values are JSON without secret values. */
  write(context: ProviderContext, target: ServiceTarget, ledger: TargetLedger): Promise<void>;
  /** Remove it (on `down`). Absent: `down` leaves it, and the next deploy reuses its key. */
  clear?(context: ProviderContext, target: ServiceTarget): Promise<void>;
}

/** Is the revision's process still alive? Used to fail fast when a container or unit exits. */
export interface RevisionLiveness {
  alive: boolean;
  reason?: string;
}

/** A secret with its value, as handed to the provider's secret store. */
export interface SecretMaterial {
  /** Environment variable name, e.g. `SUPERVAIZER_API_KEY`. */
  key: string;
  value: string;
  fingerprint: string;
  /** True when Berth generated it. */
  generated: boolean;
}

/** A secret the provider's store holds for this service and that Berth owns. */
export interface OwnedSecret {
  key: string;
  ref?: string;
  fingerprint?: string;
}

/** The provider's secret store. */
export interface ProviderSecretStore {
  /** Create or add a version for each secret; return the binding the service must reference. */
  upsert(
    context: ProviderContext,
    target: ServiceTarget,
    secrets: SecretMaterial[],
  ): Promise<Record<string, SecretBinding>>;
  /** Read back a secret Berth generated earlier, so it stays stable across deploys. */
  read?(context: ProviderContext, target: ServiceTarget, key: string): Promise<string | undefined>;
  /** Secrets of this service marked as owned by Berth. */
  list(context: ProviderContext, target: ServiceTarget): Promise<OwnedSecret[]>;
  /** Delete owned secrets (only those). */
  delete(context: ProviderContext, target: ServiceTarget, keys: string[]): Promise<void>;
}

/** The run that asks for a provider lock (see `Provider.lock`). */
export interface ProviderLockRequest {
  /** What the run does: `promote` is the `up` of the target environment. */
  operation: 'up' | 'down' | 'rollback' | 'promote';
  /** The run's id, as in its events, result and history: name it in the lock so the holder is found. */
  runId: string;
}

/** A lock a provider took for one run; see `Provider.lock`. */
export interface ProviderLock {
  /**
   * How long the lock lives without `renew`, in milliseconds, when it expires by itself. The engine
   * then renews at least every third of it. Absent: the engine renews on its own heartbeat (every
   * third of the deployer's `lockTtlMs`).
   */
  readonly ttlMs?: number;
  /**
   * Push the expiry forward. The engine calls it on its lock heartbeat while the run lasts; a
   * failure is reported as a `warn` log event and does not stop the run.
   */
  renew?(): Promise<void>;
  /**
   * Give the lock up, only if it is still this run's. The engine calls it once, however the run
   * ends (success, failure, rollback, thrown error, abort), before it releases the state lock; a
   * failure is reported as a `warn` log event.
   */
  release(): Promise<void>;
}

/** Options of `destroy`. */
export interface DestroyOptions {
  /** Also delete images the provider stored. Default false. */
  deleteImages: boolean;
}

/** The provider contract, version 1. Create one with `defineProvider`. */
export interface Provider {
  readonly specificationVersion: 'v1';
  /** Short id, e.g. `gcp-cloud-run`, `local-docker`, `memory`. */
  readonly name: string;

  /** Read the live service; `undefined` when it does not exist. Must not change anything. */
  observe(context: ProviderContext, target: ServiceTarget): Promise<ObservedService | undefined>;
  /** Create or update the service to run `desired`. */
  apply(context: ProviderContext, desired: DesiredService, options: ApplyOptions): Promise<ApplyOutcome>;
  /** Remove the service and everything it runs (not secrets: the engine deletes owned secrets itself). */
  destroy(
    context: ProviderContext,
    target: ServiceTarget,
    options: DestroyOptions,
  ): Promise<{ removed: string[] }>;

  /** Extra validation rules (name length, characters, supported sizes). Pure. */
  validateSpec?(spec: ServiceSpec): ValidationIssue[];
  /** Credentials, permissions, APIs enabled… each failure with a hint. */
  /** `spec` is given by the engine (absent when a caller checks a target alone). */
  preflight?(context: ProviderContext, target: ServiceTarget, spec?: ServiceSpec): Promise<PreflightCheck[]>;
  /** Where images for this service must be pushed, with which credentials. Absent: images stay local. */
  imageTarget?(context: ProviderContext, target: ServiceTarget): Promise<ImageTarget | undefined>;
  /** A builder that runs where the provider runs (e.g. a remote engine); overridden by the deployer's. */
  imageBuilder?: ImageBuilder;
  /** The provider's secret store. Without one, secret values are passed to `apply` directly. */
  secrets?: ProviderSecretStore;
  /** Wait until `revision` is ready to serve; return its URL. */
  waitReady?(context: ProviderContext, target: ServiceTarget, outcome: ApplyOutcome): Promise<ApplyOutcome>;
  /** The service URL before it exists, when the provider can tell (saves a second update for `publicUrlEnv`). */
  predictUrl?(target: ServiceTarget, spec: ServiceSpec): string | undefined;
  /** Move all traffic to a revision that was verified on its candidate URL. */
  shiftTraffic?(context: ProviderContext, target: ServiceTarget, revision: string): Promise<ApplyOutcome>;
  /** Serve an earlier revision again (traffic change, container restart, provider rollback API). */
  restoreRevision?(
    context: ProviderContext,
    target: ServiceTarget,
    record: RevisionRecord,
  ): Promise<ApplyOutcome>;
  /**
   * The final step of a restore that needs one (App Platform's pinned rollback): after the restored
   * revision was verified the engine calls it with `commit`, after it failed with `revert`.
   */
  finishRestore?(
    context: ProviderContext,
    target: ServiceTarget,
    restored: ApplyOutcome,
    verdict: 'commit' | 'revert',
  ): Promise<void>;
  /**
   * Convergence data kept with the target: the fingerprint key, what each revision ran and which
   * ones passed verification. Without it, a fresh state store cannot converge (see
   * docs/writing-a-provider.md#convergence).
   */
  ledger?: ProviderLedgerStore;
  /**
   * The provider's options that change what runs (e.g. Cloud Run's `serviceAccount`,
   * `minInstances`), by name. Part of the plan (`provider.<name>`), of the revision hash and of
   * drift; `observe` reports their live values in `ObservedService.provider`. Pure.
   */
  desiredOptions?(target: ServiceTarget, spec: ServiceSpec): ProviderOptionValues;
  /** Revisions the provider keeps. */
  listRevisions?(context: ProviderContext, target: ServiceTarget): Promise<RevisionInfo[]>;
  /** Whether a revision's process is still alive (containers, units); lets verification fail fast. */
  probeRevision?(
    context: ProviderContext,
    target: ServiceTarget,
    revision: string,
  ): Promise<RevisionLiveness>;
  /**
   * Lock the service where it lives (e.g. a folder on an SSH host), for a whole run. The engine's
   * own lock lives in its state store, so runs from two machines or CI jobs with different state
   * stores would not exclude each other: a lock that lives with the target makes them, so that no
   * one applies between another run's `apply` and the end of its verification or rollback.
   *
   * The engine calls it in the `lock` phase of `up`, `down`, `rollback` and `promote`, right after it
   * took the state lock and before any other provider call of the run; it holds the lock until the
   * run ends (after the `record` phase), renews it with `renew` and always calls `release`. `plan`,
   * `status` and `history` only read and never call it.
   *
   * When another run holds the lock, throw a `LockError` with code `LOCK_HELD` whose message names
   * the holder (who, what operation, since when) and whose hint says what to do (wait; when the
   * lock expires). The run then fails before anything changes (`status: 'failed'`, nothing
   * recorded, the state lock released). Provider calls made outside an engine run (a method called
   * directly) get no lock from the engine: guard them yourself if they need one.
   */
  lock?(context: ProviderContext, target: ServiceTarget, run: ProviderLockRequest): Promise<ProviderLock>;
  /**
   * How this machine reaches the provider's service URLs for health checks, when plain `fetch`
   * cannot: e.g. through an SSH connection to a port that listens only on the server's loopback.
   * The engine's health verifier uses it unless the deployer was given its own `fetch`.
   */
  fetch?: typeof globalThis.fetch;
  /** Release resources such as connections. Called by `deployer.close()`, never by a run. */
  close?(): Promise<void>;
}

/** Options of `apply`. */
export interface ApplyOptions {
  /** The live service before this change (`undefined` on create). */
  observed?: ObservedService;
  /** Why the engine applies: a normal deploy, the public-URL update, or a rollback by redeploying. */
  reason: 'deploy' | 'public-url' | 'rollback';
}

/** Capabilities the engine detected on a provider. */
export interface ProviderCapabilities {
  secrets: boolean;
  imageTarget: boolean;
  verifyBeforeTraffic: boolean;
  restoreRevision: boolean;
  listRevisions: boolean;
  probeRevision: boolean;
  waitReady: boolean;
  lock: boolean;
  fetch: boolean;
  ledger: boolean;
  desiredOptions: boolean;
  finishRestore: boolean;
}
