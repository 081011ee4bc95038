import type { Plan } from '../plan/plan.js';
import { type Clock, systemClock } from '../ports/clock.js';
import type { ImageBuilder } from '../ports/image-builder.js';
import { assertProvider } from '../provider/define-provider.js';
import type { Provider } from '../provider/provider.js';
import { serviceNameOf } from '../spec/service-spec.js';
import { validateSpec } from '../spec/validate-spec.js';
import { fileStateStore } from '../state/file-state-store.js';
import type { HistoryEntry, StateStore } from '../state/state-store.js';
import type { EngineDeps } from './engine-deps.js';
import type { BerthEvent } from './events.js';
import type { Hook } from './hooks.js';
import { defaultSecretSources, type SecretSources } from './resolve-secrets.js';
import type { DeployResult, DownResult, StatusResult } from './result.js';
import { createRunContext, type RunContext, redactedError } from './run-context.js';
import { type DownOptions, runDown } from './run-down.js';
import { runPlan } from './run-plan.js';
import { type PromoteOptions, runPromote } from './run-promote.js';
import { type RollbackOptions, runRollback } from './run-rollback.js';
import { runStatus } from './run-status.js';
import { runUp, type UpOptions } from './run-up.js';
import { historyWithLedger, readLedger } from './target-ledger.js';

/** Options of `createDeployer`. */
export interface DeployerOptions {
  /** Where to deploy. */
  provider: Provider;
  /** Where state and history live. Default `fileStateStore()` (`.deployment/` in the working directory). */
  state?: StateStore;
  /** Receives every event of every run (already redacted). */
  onEvent?: (event: BerthEvent) => void;
  /** Time source; tests pass a fake clock. */
  clock?: Clock;
  /** Builds `{ build }` images; e.g. `dockerImageBuilder()` from `@berth/docker`. */
  imageBuilder?: ImageBuilder;
  /** HTTP client of the health verifier. Default: the provider's `fetch`, else the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Code run before or after phases. */
  hooks?: Hook[];
  /** Lock time-to-live; the lock is renewed while a run lasts. Default 10 minutes. */
  lockTtlMs?: number;
  /**
   * Take over the service's lock even while it is live (you know its run is gone). Expired locks, and
   * locks of a process of this host that exited, are taken over without it. Default false.
   */
  takeoverStaleLock?: boolean;
  /** Where `fromEnv` / `fromFile` secrets and relative build contexts are read. */
  secretSources?: Partial<SecretSources>;
}

/** A deployer bound to one provider and state store. Every method is safe to call concurrently. */
export interface Deployer {
  /** What `up` would do. Read-only. */
  plan(spec: unknown): Promise<Plan>;
  /** Deploy: returns a JSON-serialisable result for every outcome, failures included. */
  up(spec: unknown, options?: UpOptions): Promise<DeployResult>;
  /** The live service, a quick health check, drift and the last deploy. Read-only. */
  status(spec: unknown, options?: { checkHealth?: boolean }): Promise<StatusResult>;
  /** Destroy the service and the secrets Berth owns. */
  down(spec: unknown, options?: DownOptions): Promise<DownResult>;
  /** Restore a recorded revision (default: the previous verified one). */
  rollback(spec: unknown, options?: RollbackOptions): Promise<DeployResult>;
  /** Every deploy, rollback, promotion and destroy of the service, oldest first. */
  history(spec: unknown): Promise<HistoryEntry[]>;
  /** Deploy to `to` the exact image live and verified in `from`. */
  promote(spec: unknown, options: PromoteOptions): Promise<DeployResult>;
  readonly provider: Provider;
  /** Release the provider's resources (connections); call it when done with the deployer. */
  close(): Promise<void>;
}

function targetGuess(spec: unknown) {
  const fields = (spec ?? {}) as { name?: unknown; environment?: unknown };
  const name = typeof fields.name === 'string' ? fields.name : 'unknown';
  const environment = typeof fields.environment === 'string' ? fields.environment : 'dev';
  return { service: `${name}-${environment}`, name, environment };
}

/** Create a deployer. See docs/concepts.md for the phases and guarantees. */
export function createDeployer(options: DeployerOptions): Deployer {
  assertProvider(options.provider);
  const deps: EngineDeps = {
    provider: options.provider,
    state: options.state ?? fileStateStore(),
    clock: options.clock ?? systemClock,
    ...(options.imageBuilder ? { imageBuilder: options.imageBuilder } : {}),
    fetch: options.fetch ?? options.provider.fetch ?? ((...args) => globalThis.fetch(...args)),
    hooks: options.hooks ?? [],
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    lockTtlMs: options.lockTtlMs ?? 10 * 60_000,
    takeoverStaleLock: options.takeoverStaleLock ?? false,
    secretSources: { ...defaultSecretSources(), ...options.secretSources },
  };
  const withRun = async <T>(
    spec: unknown,
    runOptions: { signal?: AbortSignal; timeoutMs?: number },
    body: (run: RunContext) => Promise<T>,
  ): Promise<T> => {
    const run = createRunContext({
      target: targetGuess(spec),
      clock: deps.clock,
      hooks: deps.hooks,
      ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
      ...(runOptions.signal ? { signal: runOptions.signal } : {}),
      ...(runOptions.timeoutMs !== undefined ? { timeoutMs: runOptions.timeoutMs } : {}),
    });
    try {
      return await body(run);
    } finally {
      run.dispose();
    }
  };
  return {
    provider: options.provider,
    plan: (spec) =>
      withRun(spec, {}, (run) =>
        runPlan(deps, run, spec).catch((error: unknown) => {
          throw redactedError(run, error);
        }),
      ),
    up: (spec, upOptions = {}) => withRun(spec, upOptions, (run) => runUp(deps, run, spec, upOptions)),
    status: (spec, statusOptions = {}) =>
      withRun(spec, {}, (run) =>
        runStatus(deps, run, spec, statusOptions).catch((error: unknown) => {
          throw redactedError(run, error);
        }),
      ),
    down: (spec, downOptions = {}) =>
      withRun(spec, downOptions, (run) => runDown(deps, run, spec, downOptions)),
    rollback: (spec, rollbackOptions = {}) =>
      withRun(spec, rollbackOptions, (run) => runRollback(deps, run, spec, rollbackOptions)),
    promote: (spec, promoteOptions) =>
      withRun(spec, promoteOptions, (run) => runPromote(deps, run, spec, promoteOptions)),
    close: async () => {
      await options.provider.close?.();
    },
    history: (spec) =>
      withRun(spec, {}, async (run) => {
        try {
          const valid = validateSpec(spec);
          run.target = { service: serviceNameOf(valid), name: valid.name, environment: valid.environment };
          const [state, ledger] = await Promise.all([
            deps.state.read(run.target.service),
            readLedger(run, deps),
          ]);
          return run.redactor.value(historyWithLedger(state?.history ?? [], ledger));
        } catch (error) {
          throw redactedError(run, error);
        }
      }),
  };
}
