import { BerthError, toBerthError, type ValidationIssue } from '../errors/index.js';
import { healthCheckFailure } from '../health/health-failure.js';
import type { HealthReport } from '../health/health-report.js';
import type { Plan } from '../plan/plan.js';
import { planService } from '../plan/plan-service.js';
import type { ApplyOutcome, DesiredService, ObservedService, SecretBinding } from '../provider/provider.js';
import { type ServiceSpec, serviceNameOf } from '../spec/service-spec.js';
import { validateSpec } from '../spec/validate-spec.js';
import type { CurrentState, ServiceState } from '../state/state-store.js';
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
import { resolveImage } from './resolve-image.js';
import { finishSecrets, maskSecretValue, type ResolvedSecret, resolveSecrets } from './resolve-secrets.js';
import { findRollbackTarget, restoreAndVerify } from './restore-revision.js';
import type { DeployResult, RollbackOutcome } from './result.js';
import { checkAborted, providerContextFor, type RunContext, runPhase, skipPhase } from './run-context.js';
import { withServiceLock } from './service-lock.js';
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

function currentFrom(
  run: RunContext,
  desired: DesiredService,
  outcome: ApplyOutcome,
  verified: boolean,
  url: string | undefined,
): CurrentState {
  const record = {
    revision: outcome.revision,
    desired: stripSecretValues(desired),
    ...(url ? { url } : {}),
    ...(outcome.data ? { data: outcome.data } : {}),
  };
  return {
    revision: outcome.revision,
    ...(url ? { url } : {}),
    image: desired.image,
    secretFingerprints: Object.fromEntries(
      Object.entries(desired.secrets).map(([key, binding]) => [key, binding.fingerprint]),
    ),
    verified,
    deployedAt: new Date(run.clock.now()).toISOString(),
    record,
    ...(outcome.data ? { data: outcome.data } : {}),
  };
}

/** Bindings for every secret: upsert the changed ones, reuse the live reference for the rest. */
async function upsertSecrets(
  run: RunContext,
  deps: EngineDeps,
  secrets: ResolvedSecret[],
  observed: ObservedService | undefined,
): Promise<Record<string, SecretBinding>> {
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

/** `up`: validate → lock → preflight → image → plan → secrets → deploy → ready → public URL → verify → (rollback) → record. */
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
  return withServiceLock(run, deps, { ...options, operation }, (state) =>
    upLocked(deps, run, spec, state, startedAt, internals),
  ).catch((error: unknown) => failedResult(run, error));
}

async function upLocked(
  deps: EngineDeps,
  run: RunContext,
  spec: ServiceSpec,
  previous: ServiceState | undefined,
  startedAt: number,
  internals: UpInternals,
): Promise<DeployResult> {
  const { provider } = deps;
  const target = run.target;
  const state = previous ?? emptyState(target, provider.name);
  const builder = deps.imageBuilder ?? provider.imageBuilder;
  let secrets: ResolvedSecret[] = [];
  let image: { ref: string; digest?: string } | undefined;
  let plan: Plan | undefined;
  let observed: ObservedService | undefined;
  const kind = internals.kind ?? 'deploy';
  let sequence = state.revisionCounter;
  const recordFailure = async (
    error: unknown,
    current: CurrentState | undefined | 'keep',
    extra: Partial<DeployResult> = {},
  ) => {
    const berthError = toBerthError(error);
    const entry = historyEntry(run, startedAt, {
      kind,
      status: 'failed',
      verified: false,
      ...(image ? { image } : {}),
      ...(internals.promotedFrom ? { promotedFrom: internals.promotedFrom } : {}),
      error: berthError.toJSON(),
    });
    await recordRun(deps.state, run.redactor, { ...state, revisionCounter: sequence }, entry, current).catch(
      (error: unknown) => warnNotRecorded(run, error),
    );
    return failedResult(run, berthError, {
      ...(plan ? { plan } : {}),
      ...(image ? { image } : {}),
      ...extra,
    });
  };

  // Everything up to the plan only reads: a failure here changes nothing.
  try {
    await runPhase(run, 'preflight', async () => {
      const context = providerContextFor(run, 'preflight');
      // Independent reads run side by side; new keys are generated off the main thread while the
      // image builds (finishSecrets, in the plan phase).
      const [resolved, providerChecks, builderChecks] = await Promise.all([
        resolveSecrets({
          spec,
          provider,
          context,
          target,
          sources: deps.secretSources,
          redactor: run.redactor,
          fingerprintKey: state.fingerprintKey,
          generate: 'later',
        }),
        provider.preflight?.(context, target, spec),
        'build' in spec.image ? builder?.preflight?.(context) : undefined,
      ]);
      secrets = resolved;
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
    image = await runPhase(run, 'image', () =>
      resolveImage({
        spec,
        target,
        provider,
        builder,
        context: providerContextFor(run, 'image'),
        cwd: deps.secretSources.cwd,
        mode: 'build',
      }),
    );
    plan = await runPhase(run, 'plan', async () => {
      [observed, secrets] = await Promise.all([
        provider.observe(providerContextFor(run, 'plan'), target),
        finishSecrets(secrets, run.redactor, state.fingerprintKey),
      ]);
      const publicUrl = observed?.url ?? provider.predictUrl?.(target, spec) ?? state.current?.url;
      const result = planService({
        desired: desiredForPlan({
          target,
          spec,
          image: image!,
          secrets,
          ...(publicUrl ? { publicUrl } : {}),
        }),
        observed,
        current: previous?.current,
      });
      run.emit({ type: 'plan-ready', plan: result });
      return result;
    });
  } catch (error) {
    return recordFailure(error, 'keep');
  }

  const secretValues = new Map(secrets.map((secret) => [secret.key, secret.value]));
  const checks = healthChecksOf(spec, secretValues);
  const maskedSecrets = Object.fromEntries(
    secrets.map((secret) => [secret.key, maskSecretValue(secret.value)]),
  );
  const publicUrl = observed?.url ?? provider.predictUrl?.(target, spec) ?? state.current?.url;
  const planInput = desiredForPlan({
    target,
    spec,
    image: image!,
    secrets,
    ...(publicUrl ? { publicUrl } : {}),
  });

  if (plan!.action === 'noop') {
    const current = previous?.current;
    if (current?.verified && current.revision === observed?.revision)
      return run.redactor.value({
        status: 'noop',
        service: target.service,
        runId: run.runId,
        url: observed?.url ?? current.url,
        revision: current.revision,
        image: image!,
        plan: plan!,
        phases: run.phases,
        secrets: maskedSecrets,
      });
  }

  sequence = Math.max(
    state.revisionCounter,
    revisionSequence(observed?.revision),
    revisionSequence(state.current?.revision),
  );
  let desired: DesiredService | undefined;
  let outcome: ApplyOutcome | undefined;
  let health: HealthReport | undefined;
  let url: string | undefined;
  const facts: Record<string, string | undefined> = {};
  hookFacts.set(run, facts);
  try {
    if (plan!.action === 'noop') {
      // Live service matches, but Berth never saw it verified: verify it in place (adopt).
      desired = buildDesiredService({
        target,
        spec,
        plan: planInput,
        revision: observed!.revision ?? revisionId(sequence, planInput),
        secrets: Object.fromEntries(
          secrets.map((secret) => [
            secret.key,
            { ref: observed!.secrets[secret.key]?.ref, fingerprint: secret.fingerprint! },
          ]),
        ),
      });
      outcome = { revision: desired.revision, ...(observed!.url ? { url: observed!.url } : {}) };
      for (const phase of ['secrets', 'deploy', 'ready', 'public-url'] as const) skipPhase(run, phase);
    } else {
      const bindings = await runPhase(run, 'secrets', () => upsertSecrets(run, deps, secrets, observed));
      sequence += 1;
      desired = buildDesiredService({
        target,
        spec,
        plan: planInput,
        revision: revisionId(sequence, planInput),
        secrets: bindings,
      });
      const applyDesired = desired;
      outcome = await runPhase(run, 'deploy', () =>
        provider.apply(providerContextFor(run, 'deploy'), applyDesired, {
          ...(observed ? { observed } : {}),
          reason: 'deploy',
        }),
      );
      if (provider.waitReady) {
        const applied = outcome;
        outcome = await runPhase(run, 'ready', () =>
          provider.waitReady!(providerContextFor(run, 'ready'), target, applied),
        );
      } else skipPhase(run, 'ready');
      const liveUrl = outcome.url;
      if (spec.publicUrlEnv && liveUrl && desired.env[spec.publicUrlEnv] !== liveUrl) {
        const urlEnv = spec.publicUrlEnv;
        const result = await runPhase(run, 'public-url', async () => {
          sequence += 1;
          const withUrl = { ...planInput, env: { ...planInput.env, [urlEnv]: liveUrl } };
          const next = buildDesiredService({
            target,
            spec,
            plan: withUrl,
            revision: revisionId(sequence, withUrl),
            secrets: bindings,
          });
          const context = providerContextFor(run, 'public-url');
          let applied = await provider.apply(context, next, { reason: 'public-url' });
          if (provider.waitReady) applied = await provider.waitReady(context, target, applied);
          return { next, applied };
        });
        desired = result.next;
        outcome = result.applied;
      } else skipPhase(run, 'public-url');
    }
    url = outcome.url;
    facts.url = url;
    facts.revision = outcome.revision;
    const verifyUrl = outcome.candidateUrl ?? outcome.url;
    const verifiedRevision = outcome.revision;
    await runPhase(run, 'verify', async () => {
      if (!verifyUrl) throw new BerthError('HEALTH_CHECK_FAILED', 'The provider reported no URL to verify');
      health = await verifyService(run, deps, { url: verifyUrl, spec, checks, revision: verifiedRevision });
      checkAborted(run);
      if (!health.healthy) throw healthCheckFailure(health, { revision: verifiedRevision, url: verifyUrl });
    });
    if (outcome.candidateUrl && provider.shiftTraffic) {
      const candidate = outcome;
      outcome = await runPhase(run, 'traffic', async () => ({
        ...candidate,
        ...(await provider.shiftTraffic!(providerContextFor(run, 'traffic'), target, candidate.revision)),
      }));
      url = outcome.url ?? url;
    } else skipPhase(run, 'traffic');
  } catch (error) {
    const failure = toBerthError(error);
    const changed = outcome !== undefined || run.phases.some((phase) => phase.name === 'deploy');
    const failedCurrent =
      desired && outcome ? currentFrom(run, desired, outcome, false, url ?? outcome.url) : 'keep';
    if (
      failure.code === 'DEPLOY_ABORTED' ||
      failure.code === 'DEPLOY_TIMEOUT' ||
      spec.rollback === 'never' ||
      !changed
    )
      return recordFailure(failure, failedCurrent, health ? { health } : {});
    return rollBackAfterFailure(deps, run, {
      spec,
      state,
      failure,
      failedRevision: desired?.revision,
      failedRecord:
        desired && outcome ? currentFrom(run, desired, outcome, false, url ?? outcome.url).record : undefined,
      checks,
      secretValues,
      startedAt,
      kind,
      image: image!,
      plan: plan!,
      maskedSecrets,
      sequence,
      ...(health ? { health } : {}),
      ...(internals.promotedFrom ? { promotedFrom: internals.promotedFrom } : {}),
    });
  }

  const current = currentFrom(run, desired, outcome, true, url);
  const entry = historyEntry(run, startedAt, {
    kind,
    status: 'succeeded',
    revision: outcome.revision,
    ...(previous?.current ? { previousRevision: previous.current.revision } : {}),
    image: desired.image,
    verified: true,
    record: current.record,
    ...(internals.promotedFrom ? { promotedFrom: internals.promotedFrom } : {}),
  });
  // The new revision is live and verified: record it even if the run was aborted a moment ago.
  await runPhase(
    run,
    'record',
    () => recordRun(deps.state, run.redactor, { ...state, revisionCounter: sequence }, entry, current),
    { evenIfAborted: true },
  );
  return run.redactor.value({
    status: 'succeeded',
    service: target.service,
    runId: run.runId,
    ...(url ? { url } : {}),
    revision: outcome.revision,
    image: desired.image,
    plan: plan!,
    phases: run.phases,
    ...(health ? { health } : {}),
    secrets: maskedSecrets,
  });
}

async function rollBackAfterFailure(
  deps: EngineDeps,
  run: RunContext,
  input: {
    spec: ServiceSpec;
    state: ServiceState;
    failure: BerthError;
    failedRevision?: string;
    failedRecord?: CurrentState['record'];
    checks: ReturnType<typeof healthChecksOf>;
    secretValues: Map<string, string | undefined>;
    startedAt: number;
    kind: 'deploy' | 'promotion';
    image: { ref: string; digest?: string };
    plan: Plan;
    maskedSecrets: Record<string, string>;
    sequence: number;
    health?: HealthReport;
    promotedFrom?: string;
  },
): Promise<DeployResult> {
  const target = findRollbackTarget(
    input.state,
    input.failedRevision ? { exclude: input.failedRevision } : {},
  );
  let rollback: RollbackOutcome;
  let current: CurrentState | 'keep' = 'keep';
  if (!target) {
    rollback = { attempted: false, status: 'skipped', reason: 'no earlier revision passed verification' };
    if (input.failedRecord) current = { ...currentOf(run, input.failedRecord), verified: false };
  } else {
    const restored = await restoreAndVerify(run, deps, {
      record: target,
      reason: input.failure.message,
      spec: input.spec,
      checks: input.checks,
      secretValues: input.secretValues,
      ...(input.failedRevision ? { from: input.failedRevision } : {}),
    });
    rollback = restored.outcome;
    const url = restored.applied?.url ?? target.url;
    current = {
      ...currentOf(run, { ...target, ...(url ? { url } : {}) }),
      verified: restored.outcome.status === 'succeeded',
    };
  }
  const status: DeployResult['status'] = !rollback.attempted
    ? 'failed'
    : rollback.status === 'succeeded'
      ? 'rolled-back'
      : 'rollback-failed';
  const entry = historyEntry(run, input.startedAt, {
    kind: input.kind,
    status,
    ...(input.failedRevision ? { revision: input.failedRevision } : {}),
    ...(input.state.current ? { previousRevision: input.state.current.revision } : {}),
    image: input.image,
    verified: false,
    ...(input.failedRecord ? { record: input.failedRecord } : {}),
    ...(input.promotedFrom ? { promotedFrom: input.promotedFrom } : {}),
    error: input.failure.toJSON(),
  });
  await runPhase(
    run,
    'record',
    () =>
      recordRun(
        deps.state,
        run.redactor,
        { ...input.state, revisionCounter: input.sequence },
        entry,
        current,
      ),
    { evenIfAborted: true },
  ).catch((error: unknown) => warnNotRecorded(run, error));
  const serving = current === 'keep' ? undefined : current;
  return run.redactor.value({
    status,
    service: run.target.service,
    runId: run.runId,
    ...(serving?.url ? { url: serving.url } : {}),
    ...(serving ? { revision: serving.revision } : {}),
    image: input.image,
    plan: input.plan,
    phases: run.phases,
    ...(input.health ? { health: input.health } : {}),
    rollback,
    error: input.failure.toJSON(),
    secrets: input.maskedSecrets,
  });
}

/** Current state describing a recorded revision. */
export function currentOf(run: RunContext, record: CurrentState['record']): CurrentState {
  return {
    revision: record.revision,
    ...(record.url ? { url: record.url } : {}),
    image: record.desired.image,
    secretFingerprints: Object.fromEntries(
      Object.entries(record.desired.secrets).map(([key, binding]) => [key, binding.fingerprint]),
    ),
    verified: true,
    deployedAt: new Date(run.clock.now()).toISOString(),
    record,
    ...(record.data ? { data: record.data } : {}),
  };
}
