import { BerthError, toBerthError, type ValidationIssue } from '../errors/index.js';
import { healthCheckFailure } from '../health/health-failure.js';
import type { HealthReport, ResolvedHealthCheck } from '../health/health-report.js';
import type { Plan } from '../plan/plan.js';
import type { DesiredForPlan } from '../plan/plan-service.js';
import { planService } from '../plan/plan-service.js';
import { platformActionOf } from '../provider/define-provider.js';
import type {
  ApplyOutcome,
  DesiredService,
  ObservedService,
  PlatformAction,
  RevisionRecord,
  SecretBinding,
  TargetLedger,
} from '../provider/provider.js';
import { type ServiceSpec, serviceNameOf } from '../spec/service-spec.js';
import { validateSpec } from '../spec/validate-spec.js';
import type { CurrentState, HistoryEntry, ServiceState } from '../state/state-store.js';
import { type Decision, decide } from './decide.js';
import {
  buildDesiredService,
  desiredForPlan,
  healthChecksOf,
  revisionId,
  revisionSequence,
  stripSecretValues,
} from './desired-service.js';
import type { EngineDeps } from './engine-deps.js';
import { hookFacts } from './hooks.js';
import { emptyState, historyEntry, recordRun } from './record-run.js';
import { type ResolvedImage, resolveImage } from './resolve-image.js';
import { finishSecrets, maskSecretValue, type ResolvedSecret, resolveSecrets } from './resolve-secrets.js';
import { restoreAndVerify } from './restore-revision.js';
import type { DeployResult, RollbackOutcome } from './result.js';
import { checkAborted, providerContextFor, type RunContext, runPhase, skipPhase } from './run-context.js';
import { withServiceLock } from './service-lock.js';
import {
  completeObserved,
  findRollbackTarget,
  isVerifiedRevision,
  type LedgerUpdate,
  readLedger,
  recordOf,
  updateLedger,
  writeLedger,
} from './target-ledger.js';
import { verifyService } from './verify-service.js';

/** Options of one `up` run. */
export interface UpOptions {
  signal?: AbortSignal;
  /** Overall time limit of the run; it stops at the next safe point. */
  timeoutMs?: number;
  /** Take over a stale lock (its owner is gone or its TTL passed). */
  takeoverStaleLock?: boolean;
}

/** Internal: how `promote` reuses `up`. */
export interface UpInternals {
  kind?: 'deploy' | 'promotion';
  promotedFrom?: string;
}

/** How long `up` waits for a busy service (`ObservedService.busy`) before `PROVIDER_BUSY`. */
export const BUSY_WAIT_MS = 60_000;

/** Without a secret store, a generated value could not be kept stable across deploys: refuse it. */
function generatedSecretsNeedAStore(provider: string) {
  return (spec: ServiceSpec): ValidationIssue[] =>
    Object.entries(spec.secrets)
      .filter(([, source]) => 'generate' in source)
      .map(([key]) => ({
        path: `secrets.${key}.generate`,
        message: `provider ${provider} has no secret store it can read a generated value back from`,
        hint: 'Give the value with fromEnv or fromFile, or use a provider with a secret store.',
      }));
}

/**
 * Validate the spec, including the provider's rules. `needsImage` (up, plan, promote) also requires an
 * image builder for `{ build }` specs; down, rollback and status never build.
 */
export function validateForProvider(
  deps: EngineDeps,
  input: unknown,
  options: { needsImage?: boolean } = {},
): ServiceSpec {
  const rules = deps.provider.validateSpec ? [deps.provider.validateSpec.bind(deps.provider)] : [];
  if (!deps.provider.secrets?.read) rules.push(generatedSecretsNeedAStore(deps.provider.name));
  const spec = validateSpec(input, rules);
  if (options.needsImage && 'build' in spec.image && !deps.imageBuilder && !deps.provider.imageBuilder)
    throw new BerthError('IMAGE_BUILDER_MISSING', 'The spec builds an image but no image builder was given');
  return spec;
}

/** A state write failed after the service changed: say so loudly, keep the run's own outcome. */
function warnNotRecorded(run: RunContext, error: unknown): void {
  run.emit({
    type: 'log',
    level: 'error',
    message: `The outcome of this run could not be recorded in the state store: ${toBerthError(error).message}`,
  });
}

function failedResult(run: RunContext, error: unknown, extra: Partial<DeployResult> = {}): DeployResult {
  const berthError = toBerthError(error);
  return run.redactor.value({
    status: 'failed',
    service: run.target.service,
    runId: run.runId,
    phases: run.phases,
    ...extra,
    error: berthError.toJSON(),
  });
}

/** Everything one `up` run knows, filled in phase by phase. */
interface UpFlow {
  deps: EngineDeps;
  run: RunContext;
  spec: ServiceSpec;
  /** The state read under the lock (absent for a service this store never saw). */
  previous: ServiceState | undefined;
  state: ServiceState;
  startedAt: number;
  kind: 'deploy' | 'promotion';
  promotedFrom?: string;
  /** The target's ledger, as read in `preflight`. */
  ledger?: TargetLedger;
  /** Key of the secrets' fingerprints: the ledger's, else the state's. */
  fingerprintKey: string;
  secrets: ResolvedSecret[];
  image?: { ref: string; digest?: string };
  /** The image looked up (read-only) while the preflight checks run; the image phase uses it. */
  earlyImage?: Promise<ResolvedImage | undefined>;
  /** The image's push, left to the run: the revision starts from the builder's engine first. */
  push?: () => Promise<{ ref: string; digest: string }>;
  /** That push, once started. */
  pushed?: Promise<{ ref: string; digest: string }>;
  plan?: Plan;
  observed?: ObservedService;
  planInput?: DesiredForPlan;
  checks: ResolvedHealthCheck[];
  secretValues: Map<string, string | undefined>;
  maskedSecrets: Record<string, string>;
  sequence: number;
  /** The revision this run created (or adopts) and what `apply` returned. */
  desired?: DesiredService;
  outcome?: ApplyOutcome;
  /** True once `apply` was called: what runs may have changed. */
  changed: boolean;
  /** True when verifying the live revision in place. */
  adopted: boolean;
  repaired: boolean;
  platform?: PlatformAction;
  health?: HealthReport;
  url?: string;
  /** Ledger changes of this run, written after `apply` and when the run ends. */
  ledgerUpdates: LedgerUpdate[];
  ledgerWrite?: Promise<void>;
}

/** `up`: validate → lock → preflight → image → plan → secrets → deploy → ready → public URL → verify → traffic → record; after a failure, `decide`. */
export async function runUp(
  deps: EngineDeps,
  run: RunContext,
  input: unknown,
  options: UpOptions,
  internals: UpInternals = {},
): Promise<DeployResult> {
  const startedAt = run.clock.now();
  let spec: ServiceSpec;
  try {
    spec = await runPhase(run, 'validate', async () =>
      validateForProvider(deps, input, { needsImage: true }),
    );
  } catch (error) {
    return failedResult(run, error);
  }
  run.target = { service: serviceNameOf(spec), name: spec.name, environment: spec.environment };
  const operation = internals.kind === 'promotion' ? 'promote' : 'up';
  return withServiceLock(run, deps, { ...options, operation }, (previous) => {
    const state = previous ?? emptyState(run.target, deps.provider.name);
    const flow: UpFlow = {
      deps,
      run,
      spec,
      previous,
      state,
      startedAt,
      kind: internals.kind ?? 'deploy',
      ...(internals.promotedFrom ? { promotedFrom: internals.promotedFrom } : {}),
      fingerprintKey: state.fingerprintKey,
      secrets: [],
      checks: [],
      secretValues: new Map(),
      maskedSecrets: {},
      sequence: state.revisionCounter,
      changed: false,
      adopted: false,
      repaired: false,
      ledgerUpdates: [],
    };
    return upLocked(flow);
  }).catch((error: unknown) => failedResult(run, error));
}

async function upLocked(flow: UpFlow): Promise<DeployResult> {
  // Everything up to the plan only reads: a failure here changes nothing.
  try {
    await preflightPhase(flow);
    await imagePhase(flow);
    await planPhase(flow);
  } catch (error) {
    return afterFailure(flow, error);
  }
  prepareChecks(flow);
  if (
    flow.plan!.action === 'noop' &&
    isVerifiedRevision(flow.observed?.revision, flow.previous, flow.ledger)
  ) {
    try {
      await confirmPush(flow);
    } catch (error) {
      return afterFailure(flow, error);
    }
    return noopResult(flow);
  }
  hookFacts.set(flow.run, {});
  try {
    if (flow.plan!.action === 'noop') adoptLive(flow);
    else await deployRevision(flow);
    await verifyPhase(flow);
    await trafficPhase(flow);
  } catch (error) {
    return afterFailure(flow, error);
  }
  return recordSuccess(flow);
}

/** `preflight`: the target's ledger (its fingerprint key), secret values, provider and builder checks. */
async function preflightPhase(flow: UpFlow): Promise<void> {
  const { run, deps, spec } = flow;
  const { provider } = deps;
  const builder = deps.imageBuilder ?? provider.imageBuilder;
  await runPhase(run, 'preflight', async () => {
    const context = providerContextFor(run, 'preflight');
    // Read-only, beside the checks: fingerprint the context and look for the image, which the
    // builder may reuse in the image phase. A failure here is the image phase's to report.
    if ('build' in spec.image && builder)
      flow.earlyImage = resolveImageOf(flow, 'inspect').catch(() => undefined);
    flow.ledger = await readLedger(run, deps);
    flow.fingerprintKey = flow.ledger?.fingerprintKey ?? flow.state.fingerprintKey;
    // Independent reads run side by side; new keys are generated off the main thread while the
    // image builds (finishSecrets, in the plan phase).
    const [resolved, providerChecks, builderChecks] = await Promise.all([
      resolveSecrets({
        spec,
        provider,
        context,
        target: run.target,
        sources: deps.secretSources,
        redactor: run.redactor,
        fingerprintKey: flow.fingerprintKey,
        generate: 'later',
      }),
      provider.preflight?.(context, run.target, spec),
      'build' in spec.image ? builder?.preflight?.(context) : undefined,
    ]);
    flow.secrets = resolved;
    const checks = [...(providerChecks ?? []), ...(builderChecks ?? [])];
    const failed = checks.filter((check) => !check.ok);
    if (failed.length > 0)
      throw new BerthError(
        'PREFLIGHT_FAILED',
        `Preflight failed: ${failed.map((check) => `${check.name}: ${check.message ?? 'failed'}`).join('; ')}`,
        {
          hint:
            failed
              .map((check) => check.hint)
              .filter(Boolean)
              .join(' ') || undefined,
          details: { checks },
        },
      );
  });
}

/** `image`: build and push, or resolve the reference to a digest. */
async function imagePhase(flow: UpFlow): Promise<void> {
  const { run } = flow;
  const { push, ...image } = await runPhase(run, 'image', async () => {
    // The builder saw this run's lookup (`inspect`, during preflight) and may reuse it; `build` is
    // still called, so a builder that records its builds (an SSH host's history) sees a skipped one.
    await flow.earlyImage;
    flow.earlyImage = undefined;
    return resolveImageOf(flow, 'build');
  });
  flow.image = image;
  if (push) flow.push = push;
}

/** `resolveImage` for this run: `inspect` only reads, `build` builds and pushes when needed. */
function resolveImageOf(flow: UpFlow, mode: 'build' | 'inspect'): Promise<ResolvedImage> {
  const { run, deps, spec } = flow;
  return resolveImage({
    spec,
    target: run.target,
    provider: deps.provider,
    builder: deps.imageBuilder ?? deps.provider.imageBuilder,
    context: providerContextFor(run, mode === 'build' ? 'image' : 'preflight'),
    cwd: deps.secretSources.cwd,
    mode,
  });
}

/**
 * Start the push the builder left to the run, once. Called when the revision's container is started
 * (on the same engine, the push would slow the start down), so it runs while the revision is verified.
 */
function startPush(flow: UpFlow): void {
  if (!flow.push || flow.pushed) return;
  flow.pushed = flow.push();
  // Handled here so a failed push never goes unhandled; `confirmPush` rethrows it.
  flow.pushed.catch(() => undefined);
}

/**
 * The revision runs from the builder's engine: wait for the image's push (a failed push fails the
 * run, which then rolls back), then describe the revision by the pushed digest, which is what state,
 * ledger and history record.
 */
async function confirmPush(flow: UpFlow): Promise<void> {
  startPush(flow);
  const pending = flow.pushed;
  if (!pending) return;
  const pushed = await pending;
  flow.push = undefined;
  flow.pushed = undefined;
  const image = { ref: pushed.ref, digest: pushed.digest };
  flow.image = { ...flow.image, ...image };
  if (flow.planInput) flow.planInput = { ...flow.planInput, image };
  if (flow.desired) flow.desired = { ...flow.desired, image };
}

/** `plan`: observe (waiting while the platform is busy), then plan against the live service. */
async function planPhase(flow: UpFlow): Promise<void> {
  const { run, deps, spec } = flow;
  const { provider } = deps;
  flow.plan = await runPhase(run, 'plan', async () => {
    const [observed, secrets] = await Promise.all([
      observeWhenIdle(run, deps),
      finishSecrets(flow.secrets, run.redactor, flow.fingerprintKey),
    ]);
    flow.observed = completeObserved(observed, flow.ledger);
    flow.secrets = secrets;
    const publicUrl =
      flow.observed?.url ?? provider.predictUrl?.(run.target, spec) ?? flow.state.current?.url;
    const providerOptions = provider.desiredOptions?.(run.target, spec);
    flow.planInput = desiredForPlan({
      target: run.target,
      spec,
      image: flow.image!,
      secrets,
      ...(publicUrl ? { publicUrl } : {}),
      ...(providerOptions ? { providerOptions } : {}),
    });
    const plan = planService({
      desired: flow.planInput,
      observed: flow.observed,
      current: flow.previous?.current,
    });
    run.emit({ type: 'plan-ready', plan });
    return plan;
  });
  flow.sequence = Math.max(
    flow.state.revisionCounter,
    flow.ledger?.revisionCounter ?? 0,
    revisionSequence(flow.observed?.revision),
    revisionSequence(flow.state.current?.revision),
  );
}

/**
 * Observe; while the platform reports the service busy with another operation, wait (1 s, growing to
 * 5 s) up to `BUSY_WAIT_MS`, then fail with a retryable `PROVIDER_BUSY` instead of colliding.
 */
export async function observeWhenIdle(
  run: RunContext,
  deps: EngineDeps,
): Promise<ObservedService | undefined> {
  const context = providerContextFor(run, 'plan');
  const started = run.clock.now();
  let wait = 1_000;
  for (;;) {
    const observed = await deps.provider.observe(context, run.target);
    if (!observed?.busy) return observed;
    if (run.clock.now() - started + wait > BUSY_WAIT_MS)
      throw new BerthError(
        'PROVIDER_BUSY',
        `${run.target.service} is busy with ${observed.busy.operation}${observed.busy.since ? ` since ${observed.busy.since}` : ''}`,
        { retryable: true },
      );
    run.emit({ type: 'log', level: 'info', message: `waiting for ${observed.busy.operation} to end` });
    await run.clock.sleep(wait, run.signal);
    wait = Math.min(wait * 2, 5_000);
  }
}

/** Secret values for the health checks, and masked values for the result. */
function prepareChecks(flow: UpFlow): void {
  flow.secretValues = new Map(flow.secrets.map((secret) => [secret.key, secret.value]));
  flow.checks = healthChecksOf(flow.spec, flow.secretValues);
  flow.maskedSecrets = Object.fromEntries(
    flow.secrets.map((secret) => [secret.key, maskSecretValue(secret.value)]),
  );
}

function noopResult(flow: UpFlow): DeployResult {
  const { run, observed } = flow;
  return run.redactor.value({
    status: 'noop',
    service: run.target.service,
    runId: run.runId,
    ...((observed?.url ?? flow.state.current?.url) ? { url: observed?.url ?? flow.state.current?.url } : {}),
    revision: observed!.revision!,
    image: flow.image!,
    plan: flow.plan!,
    phases: run.phases,
    secrets: flow.maskedSecrets,
  });
}

/** The live service matches, but was never seen verified: verify it in place, changing nothing. */
function adoptLive(flow: UpFlow): void {
  const { run, spec, observed } = flow;
  flow.adopted = true;
  flow.desired = buildDesiredService({
    target: run.target,
    spec,
    plan: flow.planInput!,
    revision: observed!.revision ?? revisionId(flow.sequence, flow.planInput!),
    secrets: Object.fromEntries(
      flow.secrets.map((secret) => [
        secret.key,
        { ref: observed!.secrets[secret.key]?.ref, fingerprint: secret.fingerprint! },
      ]),
    ),
  });
  flow.outcome = { revision: flow.desired.revision, ...(observed!.url ? { url: observed!.url } : {}) };
  for (const phase of ['secrets', 'deploy', 'ready', 'public-url'] as const) skipPhase(run, phase);
}

/** Bindings for every secret: upsert the changed ones, reuse the live reference for the rest. */
async function upsertSecrets(flow: UpFlow): Promise<Record<string, SecretBinding>> {
  const { run, deps, secrets, observed } = flow;
  const store = deps.provider.secrets;
  if (!store)
    return Object.fromEntries(
      secrets.map((secret) => [secret.key, { fingerprint: secret.fingerprint!, value: secret.value! }]),
    );
  const changed = secrets.filter((secret) => {
    const live = observed?.secrets[secret.key];
    return !live?.ref || live.fingerprint !== secret.fingerprint;
  });
  const upserted =
    changed.length === 0
      ? {}
      : await store.upsert(
          providerContextFor(run, 'secrets'),
          run.target,
          changed.map((secret) => ({
            key: secret.key,
            value: secret.value!,
            fingerprint: secret.fingerprint!,
            generated: secret.generated,
          })),
        );
  return Object.fromEntries(
    secrets.map((secret) => [
      secret.key,
      upserted[secret.key] ?? { ref: observed?.secrets[secret.key]?.ref, fingerprint: secret.fingerprint! },
    ]),
  );
}

/** What the ledger keeps for an applied revision. */
function revisionRecordOf(desired: DesiredService, outcome: ApplyOutcome): RevisionRecord {
  return {
    revision: outcome.revision,
    desired: stripSecretValues(desired),
    ...(outcome.url ? { url: outcome.url } : {}),
    ...(outcome.data ? { data: outcome.data } : {}),
  };
}

/** Note an applied revision in the ledger at once (in the background), so a crash right after `apply` converges. */
function noteApplied(flow: UpFlow, desired: DesiredService, outcome: ApplyOutcome): void {
  const update: LedgerUpdate = {
    revision: outcome.revision,
    record: revisionRecordOf(desired, outcome),
    deployedAt: new Date(flow.run.clock.now()).toISOString(),
    runId: flow.run.runId,
  };
  flow.ledgerUpdates.push(update);
  if (outcome.platform) flow.platform = outcome.platform;
  const before = flow.ledgerWrite ?? Promise.resolve();
  flow.ledgerWrite = before.then(() => writeLedger(flow.run, flow.deps, ledgerOf(flow)));
}

function ledgerOf(flow: UpFlow, extra: LedgerUpdate[] = []): TargetLedger {
  return updateLedger(flow.ledger, { fingerprintKey: flow.fingerprintKey, revisionCounter: flow.sequence }, [
    ...flow.ledgerUpdates,
    ...extra,
  ]);
}

/** `secrets` → `deploy` → `ready` → `public-url`: run a new revision of the spec. */
async function deployRevision(flow: UpFlow): Promise<void> {
  const { run, deps, spec } = flow;
  const { provider } = deps;
  const target = run.target;
  const down = flow.observed;
  if (down?.revision && (!down.ready || down.running === false))
    // A repair: the live revision is down, so it no longer counts as verified.
    flow.ledgerUpdates.push({ revision: down.revision, failedAt: new Date(run.clock.now()).toISOString() });
  const bindings = await runPhase(run, 'secrets', () => upsertSecrets(flow));
  flow.sequence += 1;
  const desired = buildDesiredService({
    target,
    spec,
    plan: flow.planInput!,
    revision: revisionId(flow.sequence, flow.planInput!),
    secrets: bindings,
  });
  flow.desired = desired;
  flow.changed = true;
  flow.outcome = await runPhase(run, 'deploy', () =>
    provider.apply(providerContextFor(run, 'deploy'), desired, {
      ...(flow.observed ? { observed: flow.observed } : {}),
      reason: 'deploy',
    }),
  );
  noteApplied(flow, desired, flow.outcome);
  startPush(flow);
  if (provider.waitReady) {
    const applied = flow.outcome;
    flow.outcome = await runPhase(run, 'ready', () =>
      provider.waitReady!(providerContextFor(run, 'ready'), target, applied),
    );
  } else skipPhase(run, 'ready');
  const liveUrl = flow.outcome.url;
  if (spec.publicUrlEnv && liveUrl && desired.env[spec.publicUrlEnv] !== liveUrl) {
    const urlEnv = spec.publicUrlEnv;
    const result = await runPhase(run, 'public-url', async () => {
      flow.sequence += 1;
      const withUrl = { ...flow.planInput!, env: { ...flow.planInput!.env, [urlEnv]: liveUrl } };
      const next = buildDesiredService({
        target,
        spec,
        plan: withUrl,
        revision: revisionId(flow.sequence, withUrl),
        secrets: bindings,
      });
      const context = providerContextFor(run, 'public-url');
      flow.desired = next;
      let applied = await provider.apply(context, next, { reason: 'public-url' });
      noteApplied(flow, next, applied);
      if (provider.waitReady) applied = await provider.waitReady(context, target, applied);
      return applied;
    });
    flow.outcome = result;
  } else skipPhase(run, 'public-url');
}

/** `verify`: health checks at the candidate URL (verify before traffic) or the service URL. */
async function verifyPhase(flow: UpFlow): Promise<void> {
  const { run, deps, spec } = flow;
  const outcome = flow.outcome!;
  flow.url = outcome.url;
  const facts = hookFacts.get(run) ?? {};
  facts.url = flow.url;
  facts.revision = outcome.revision;
  hookFacts.set(run, facts);
  const verifyUrl = outcome.candidateUrl ?? outcome.url;
  const revision = outcome.revision;
  await runPhase(run, 'verify', async () => {
    if (!verifyUrl) throw new BerthError('HEALTH_CHECK_FAILED', 'The provider reported no URL to verify');
    flow.health = await verifyService(run, deps, { url: verifyUrl, spec, checks: flow.checks, revision });
    checkAborted(run);
    if (!flow.health.healthy) throw healthCheckFailure(flow.health, { revision, url: verifyUrl });
    // Verified while the image was being pushed: the push must succeed before traffic moves.
    await confirmPush(flow);
  });
}

/** `traffic`: move all traffic to the revision verified on its candidate URL. */
async function trafficPhase(flow: UpFlow): Promise<void> {
  const { run, deps } = flow;
  const candidate = flow.outcome!;
  if (!candidate.candidateUrl || !deps.provider.shiftTraffic) return skipPhase(run, 'traffic');
  flow.outcome = await runPhase(run, 'traffic', async () => ({
    ...candidate,
    ...(await deps.provider.shiftTraffic!(
      providerContextFor(run, 'traffic'),
      run.target,
      candidate.revision,
    )),
  }));
  flow.url = flow.outcome.url ?? flow.url;
}

/** The current state describing `record`, live now. */
function currentState(
  run: RunContext,
  record: RevisionRecord,
  verified: boolean,
  url?: string,
): CurrentState {
  const withUrl = url ? { ...record, url } : record;
  return {
    revision: record.revision,
    ...(withUrl.url ? { url: withUrl.url } : {}),
    image: record.desired.image,
    secretFingerprints: Object.fromEntries(
      Object.entries(record.desired.secrets).map(([key, binding]) => [key, binding.fingerprint]),
    ),
    verified,
    deployedAt: new Date(run.clock.now()).toISOString(),
    record: withUrl,
    ...(record.data ? { data: record.data } : {}),
  };
}

/** Current state describing a recorded revision (verified). */
export function currentOf(run: RunContext, record: CurrentState['record']): CurrentState {
  return currentState(run, record, true);
}

/** Write the ledger with this run's changes, after the write started after `apply`. */
async function finishLedger(flow: UpFlow, extra: LedgerUpdate[]): Promise<void> {
  await flow.ledgerWrite;
  if (!flow.deps.provider.ledger) return;
  flow.ledgerUpdates.push(...extra);
  await writeLedger(flow.run, flow.deps, ledgerOf(flow));
}

/** `record` after a verified revision: state, history and ledger; a failing `after: 'record'` hook is reported truthfully. */
async function recordSuccess(flow: UpFlow): Promise<DeployResult> {
  const { run, deps, desired, outcome } = flow;
  const now = new Date(run.clock.now()).toISOString();
  const record = revisionRecordOf(desired!, { ...outcome!, ...(flow.url ? { url: flow.url } : {}) });
  const current = currentState(run, record, true, flow.url);
  const entry = historyEntry(run, flow.startedAt, {
    kind: flow.kind,
    status: 'succeeded',
    revision: outcome!.revision,
    ...(flow.previous?.current ? { previousRevision: flow.previous.current.revision } : {}),
    image: desired!.image,
    verified: true,
    record,
    ...(flow.promotedFrom ? { promotedFrom: flow.promotedFrom } : {}),
  });
  const stateToWrite = { ...flow.state, fingerprintKey: flow.fingerprintKey, revisionCounter: flow.sequence };
  let written: ServiceState | undefined;
  const base = {
    service: run.target.service,
    runId: run.runId,
    ...(flow.url ? { url: flow.url } : {}),
    revision: outcome!.revision,
    image: desired!.image,
    plan: flow.plan!,
    ...(flow.health ? { health: flow.health } : {}),
    secrets: flow.maskedSecrets,
  };
  try {
    // The new revision is live and verified: record it even if the run was aborted a moment ago.
    await runPhase(
      run,
      'record',
      async () => {
        const [state] = await Promise.all([
          recordRun(deps.state, run.redactor, stateToWrite, entry, current),
          finishLedger(flow, [{ revision: outcome!.revision, record, verifiedAt: now, runId: run.runId }]),
        ]);
        written = state;
      },
      { evenIfAborted: true },
    );
  } catch (error) {
    const failure = toBerthError(error);
    if (written) {
      // The state was written but an `after: 'record'` hook failed: history says so too.
      const history = written.history.map((item, index, all) =>
        index === all.length - 1 ? { ...item, status: 'failed' as const, error: failure.toJSON() } : item,
      );
      await deps.state
        .write(run.target.service, run.redactor.value({ ...written, history }))
        .catch((writeError: unknown) => warnNotRecorded(run, writeError));
    }
    return failedResult(run, failure, base);
  }
  return run.redactor.value({ status: 'succeeded', ...base, phases: run.phases });
}

/** Observe after a failure; a provider that throws gives `undefined` and `unknown: true`. */
async function observeAfter(flow: UpFlow): Promise<{ observed?: ObservedService; unknown: boolean }> {
  try {
    const observed = await flow.deps.provider.observe(
      providerContextFor(flow.run, 'record'),
      flow.run.target,
    );
    return { ...(observed ? { observed } : {}), unknown: false };
  } catch (error) {
    flow.run.emit({
      type: 'log',
      level: 'warn',
      message: `The service could not be observed after the failure: ${toBerthError(error).message}`,
    });
    return { unknown: true };
  }
}

/**
 * After any failure: observe the target, `decide`, act (rollback, repair, or nothing), observe again
 * and record what is really live, with the status that says what happened.
 */
async function afterFailure(flow: UpFlow, error: unknown): Promise<DeployResult> {
  const { run, spec } = flow;
  const failure = toBerthError(error);
  // A push still running ends (or fails) before the run decides and returns: nothing runs on after it.
  await flow.pushed?.catch(() => undefined);
  await flow.earlyImage;
  flow.platform = platformActionOf(error) ?? flow.platform;
  if (!flow.changed && !flow.adopted) return recordFailure(flow, failure, { decision: undefined });
  const failedRevision = flow.desired?.revision;
  const seen = await observeAfter(flow);
  const lastVerified = findRollbackTarget(flow.previous, flow.ledger, {
    ...(failedRevision ? { exclude: failedRevision } : {}),
  });
  const aborted = failure.code === 'DEPLOY_ABORTED' || failure.code === 'DEPLOY_TIMEOUT';
  const serving = seen.observed?.revision;
  const decision = decide(
    seen.unknown
      ? undefined
      : seen.observed
        ? {
            ...(serving ? { revision: serving } : {}),
            ready: seen.observed.ready,
            ...(seen.observed.running !== undefined ? { running: seen.observed.running } : {}),
          }
        : undefined,
    {
      code: failure.code,
      changed: flow.changed,
      adopted: flow.adopted,
      ...(failedRevision ? { failedRevision } : {}),
      ...(flow.platform ? { platform: flow.platform } : {}),
      ...(lastVerified ? { lastVerified: lastVerified.revision } : {}),
      servingVerified: serving !== failedRevision && isVerifiedRevision(serving, flow.previous, flow.ledger),
      neverTookTraffic:
        flow.outcome?.candidateUrl !== undefined &&
        !run.phases.some((phase) => phase.name === 'traffic' && phase.status === 'succeeded'),
      rollbackAllowed: !(aborted && run.secondAbort.aborted),
      repaired: flow.repaired,
    },
    spec.rollback,
  );
  if (decision.action === 'repair') return repair(flow, failure);
  if (decision.action === 'record' && decision.outcome === 'rolled-back' && seen.observed?.url) {
    // A verified revision still (or again) serves: check it answers, rather than take it on trust.
    const health = await verifyService(aborted ? { ...run, signal: run.secondAbort } : run, flow.deps, {
      url: seen.observed.url,
      spec,
      checks: flow.checks,
      revision: serving!,
    }).catch(() => undefined);
    if (health?.healthy) return recordFailure(flow, failure, { decision, seen, servingHealth: health });
    if (lastVerified) return rollBack(flow, failure, lastVerified, aborted);
  }
  if (decision.action === 'record') return recordFailure(flow, failure, { decision, seen });
  return rollBack(flow, failure, lastVerified!, aborted);
}

/** The live revision is down: deploy the spec once as a new revision; a failure of that follows the usual rules. */
async function repair(flow: UpFlow, failure: BerthError): Promise<DeployResult> {
  flow.run.emit({ type: 'log', level: 'warn', message: `repairing: ${failure.message}` });
  flow.repaired = true;
  flow.adopted = false;
  try {
    await deployRevision(flow);
    await verifyPhase(flow);
    await trafficPhase(flow);
  } catch (error) {
    return afterFailure(flow, error);
  }
  return recordSuccess(flow);
}

/** Restore `to` and verify it, under a signal only a second abort stops. */
async function rollBack(
  flow: UpFlow,
  failure: BerthError,
  to: RevisionRecord,
  aborted: boolean,
): Promise<DeployResult> {
  const rollbackRun: RunContext = aborted ? { ...flow.run, signal: flow.run.secondAbort } : flow.run;
  const restored = await restoreAndVerify(rollbackRun, flow.deps, {
    record: to,
    reason: failure.message,
    spec: flow.spec,
    checks: flow.checks,
    secretValues: flow.secretValues,
    ...(flow.desired ? { from: flow.desired.revision } : {}),
  });
  const seen = await observeAfter(flow);
  return recordFailure(flow, failure, {
    seen,
    rollback: restored.outcome,
    restored: to,
    ...(restored.applied ? { applied: restored.applied } : {}),
  });
}

/**
 * Record a failed run truthfully: the history entry, and as `current` what was observed to serve
 * (verified only when it passed verification and has not failed since). Nothing observed (the
 * provider threw): the engine's best knowledge, the failed revision unverified.
 */
async function recordFailure(
  flow: UpFlow,
  failure: BerthError,
  input: {
    decision?: Decision | undefined;
    seen?: { observed?: ObservedService; unknown: boolean };
    rollback?: RollbackOutcome;
    restored?: RevisionRecord;
    applied?: ApplyOutcome;
    /** The health of the serving revision, checked when the platform kept or restored it. */
    servingHealth?: HealthReport;
  },
): Promise<DeployResult> {
  const { run, deps } = flow;
  const now = new Date(run.clock.now()).toISOString();
  const failedRevision = flow.desired?.revision;
  const failedRecord =
    flow.desired && flow.outcome ? revisionRecordOf(flow.desired, flow.outcome) : undefined;
  const rollbackOk = input.rollback?.status === 'succeeded';
  const ledgerUpdates: LedgerUpdate[] = [];
  if (failedRevision && (flow.changed || flow.adopted) && failedRecord)
    ledgerUpdates.push({ revision: failedRevision, record: failedRecord, failedAt: now });
  // A restored revision is marked failed only when its own health checks failed, not when the
  // provider could not restore it.
  if (input.restored && rollbackOk)
    ledgerUpdates.push({ revision: input.restored.revision, verifiedAt: now, runId: run.runId });
  else if (input.restored && input.rollback?.health && !input.rollback.health.healthy)
    ledgerUpdates.push({ revision: input.restored.revision, failedAt: now });

  // What serves now, by observation.
  let current: CurrentState | undefined | 'keep' = 'keep';
  let serving: string | undefined;
  let url: string | undefined;
  const observed = input.seen?.observed;
  if (input.seen && !input.seen.unknown) {
    serving = observed?.revision;
    url = observed?.url;
    if (!observed) current = undefined;
    else if (serving) {
      const ledger = ledgerOf(flow, ledgerUpdates);
      const record =
        serving === failedRevision
          ? failedRecord
          : ((input.restored?.revision === serving ? input.restored : undefined) ??
            recordOf(serving, flow.previous, ledger));
      const verified =
        serving === input.restored?.revision
          ? rollbackOk
          : serving !== failedRevision && isVerifiedRevision(serving, flow.previous, ledger);
      if (record) current = currentState(run, record, verified, url ?? input.applied?.url ?? record.url);
    }
  } else if (input.seen?.unknown || flow.changed) {
    // Not observed: what the engine knows.
    if (input.restored) {
      serving = input.restored.revision;
      url = input.applied?.url ?? input.restored.url;
      current = currentState(run, input.restored, rollbackOk, url);
    } else if (failedRecord) {
      serving = failedRevision;
      url = flow.url ?? flow.outcome?.url;
      current = currentState(run, failedRecord, false, url);
    }
  }

  const decision = input.decision;
  let rollback = input.rollback;
  let status: DeployResult['status'] = 'failed';
  if (rollback) {
    status = rollbackOk && serving === input.restored?.revision ? 'rolled-back' : 'rollback-failed';
    if (rollbackOk && serving !== input.restored?.revision)
      rollback = {
        ...rollback,
        status: 'failed',
        error: new BerthError(
          'ROLLBACK_FAILED',
          `Revision ${input.restored?.revision} passed verification but ${serving ?? 'nothing'} serves`,
        ).toJSON(),
      };
  } else if (decision?.action === 'record' && (flow.changed || flow.adopted)) {
    status = decision.outcome;
    rollback =
      decision.outcome === 'rolled-back'
        ? {
            attempted: false,
            status: 'succeeded',
            by: 'platform',
            ...(failedRevision ? { from: failedRevision } : {}),
            ...(serving ? { to: serving } : {}),
            reason: decision.reason,
            ...(input.servingHealth ? { health: input.servingHealth } : {}),
          }
        : flow.spec.rollback === 'never'
          ? undefined
          : { attempted: false, status: 'skipped', reason: decision.reason };
  }
  const entry: HistoryEntry = historyEntry(run, flow.startedAt, {
    kind: flow.kind,
    status,
    verified: false,
    ...(failedRevision && (flow.changed || flow.adopted) ? { revision: failedRevision } : {}),
    ...(flow.previous?.current ? { previousRevision: flow.previous.current.revision } : {}),
    ...(flow.image ? { image: flow.image } : {}),
    ...(failedRecord && (flow.changed || flow.adopted) ? { record: failedRecord } : {}),
    ...(flow.promotedFrom ? { promotedFrom: flow.promotedFrom } : {}),
    error: failure.toJSON(),
  });
  const write = async () => {
    await Promise.all([
      recordRun(
        deps.state,
        run.redactor,
        { ...flow.state, fingerprintKey: flow.fingerprintKey, revisionCounter: flow.sequence },
        entry,
        current,
      ),
      flow.changed || flow.adopted ? finishLedger(flow, ledgerUpdates) : flow.ledgerWrite,
    ]);
  };
  if (rollback?.attempted)
    await runPhase(run, 'record', write, { evenIfAborted: true }).catch((e: unknown) =>
      warnNotRecorded(run, e),
    );
  else await write().catch((e: unknown) => warnNotRecorded(run, e));
  return run.redactor.value({
    status,
    service: run.target.service,
    runId: run.runId,
    ...(url ? { url } : {}),
    ...(serving ? { revision: serving } : {}),
    ...(flow.image ? { image: flow.image } : {}),
    ...(flow.plan ? { plan: flow.plan } : {}),
    phases: run.phases,
    ...(flow.health ? { health: flow.health } : {}),
    ...(rollback ? { rollback } : {}),
    error: failure.toJSON(),
    ...(flow.plan ? { secrets: flow.maskedSecrets } : {}),
  });
}
