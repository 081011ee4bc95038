import { hostname, userInfo } from 'node:os';
import { AbortError, BerthError, toBerthError } from '../errors/index.js';
import type { Clock } from '../ports/clock.js';
import { nodeCrypto } from '../ports/node-builtins.js';
import type { ProviderContext, ServiceTarget } from '../provider/provider.js';
import { Redactor } from '../secrets/redactor.js';
import type { Actor, PhaseName, PhaseRecord } from '../state/state-store.js';
import { type BerthEvent, type BerthEventInput, createEmitter } from './events.js';
import type { Hook } from './hooks.js';
import { runHooks } from './hooks.js';

/** Everything one run (up, down, rollback…) carries. */
export interface RunContext {
  runId: string;
  target: ServiceTarget;
  clock: Clock;
  redactor: Redactor;
  emit: (event: BerthEventInput) => void;
  signal: AbortSignal;
  /** True once the run's own timeout fired. */
  timedOut: () => boolean;
  /**
   * Aborts on the second abort of the run (its signal after its timeout, or the reverse): a rollback
   * started after the first abort runs under this signal, so a second abort skips it.
   */
  secondAbort: AbortSignal;
  phases: PhaseRecord[];
  hooks: Hook[];
  actor: Actor;
  /** Stop the timeout timer. */
  dispose: () => void;
  /** Abort the run with `reason` (e.g. `LOCK_LOST`): it stops at the next safe point. */
  abort: (reason: BerthError) => void;
}

/** The process running Berth. */
export function currentActor(): Actor {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep "unknown".
  }
  return { host: hostname(), user, pid: process.pid };
}

export function createRunContext(options: {
  target: ServiceTarget;
  clock: Clock;
  onEvent?: (event: BerthEvent) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
  hooks?: Hook[];
  redactor?: Redactor;
}): RunContext {
  const runId = nodeCrypto().randomUUID();
  const redactor = options.redactor ?? new Redactor();
  const holder: { target: ServiceTarget } = { target: options.target };
  const controller = new AbortController();
  const second = new AbortController();
  let timedOut = false;
  const abortWith = (error: AbortError) => {
    if (controller.signal.aborted) second.abort(error);
    else controller.abort(error);
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          abortWith(
            new AbortError('DEPLOY_TIMEOUT', `The run passed its timeout of ${options.timeoutMs} ms`),
          );
        }, options.timeoutMs);
  timer?.unref?.();
  const onAbort = () => abortWith(new AbortError('DEPLOY_ABORTED', 'The run was aborted by its AbortSignal'));
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const run: RunContext = {
    runId,
    get target() {
      return holder.target;
    },
    set target(target: ServiceTarget) {
      holder.target = target;
    },
    clock: options.clock,
    redactor,
    emit: createEmitter({
      runId,
      service: () => holder.target.service,
      clock: options.clock,
      redactor,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    }),
    signal: controller.signal,
    timedOut: () => timedOut,
    secondAbort: second.signal,
    phases: [],
    hooks: options.hooks ?? [],
    actor: currentActor(),
    dispose: () => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    },
    abort: (reason) => controller.abort(reason),
  };
  return run;
}

/**
 * A copy of `error` whose message, hint, details and `cause` chain carry no registered secret value
 * (the causes become plain `Error`s with the redacted name, message and code).
 */
export function redactedError(run: RunContext, error: unknown): BerthError {
  const berthError = toBerthError(error);
  const clean = run.redactor.value(berthError.toJSON());
  if (JSON.stringify(clean) === JSON.stringify(berthError.toJSON())) return berthError;
  let cause: Error | undefined;
  for (const link of [...(clean.cause ?? [])].reverse()) {
    const next: Error & { code?: string } = new Error(link.message, cause ? { cause } : undefined);
    next.name = link.name;
    if (link.code) next.code = link.code;
    cause = next;
  }
  return new BerthError(clean.code, clean.message, {
    hint: clean.hint,
    retryable: clean.retryable,
    ...(clean.details ? { details: clean.details } : {}),
    ...(cause ? { cause } : {}),
  });
}

/** Throw the run's abort error when it was aborted or timed out: called at safe points. */
export function checkAborted(run: RunContext): void {
  if (!run.signal.aborted) return;
  throw abortErrorOf(run);
}

export function abortErrorOf(run: RunContext): BerthError {
  const reason = run.signal.reason;
  if (reason instanceof AbortError || BerthError.isInstance(reason)) return reason;
  return run.timedOut()
    ? new AbortError('DEPLOY_TIMEOUT', 'The run passed its timeout')
    : new AbortError('DEPLOY_ABORTED', 'The run was aborted by its AbortSignal');
}

/** The context handed to provider calls made during `phase`. */
export function providerContextFor(run: RunContext, phase: PhaseName): ProviderContext {
  return {
    signal: run.signal,
    clock: run.clock,
    progress: (update) => run.emit({ type: 'progress', phase, ...update }),
    log: (level, message, data) => run.emit({ type: 'log', level, message, ...(data ? { data } : {}) }),
    redact: (value) => run.redactor.add(value),
  };
}

/** Run one timed phase: abort check, hooks, events, and a `PhaseRecord`. */
export async function runPhase<T>(
  run: RunContext,
  name: PhaseName,
  body: () => Promise<T>,
  options: { evenIfAborted?: boolean } = {},
): Promise<T> {
  if (!options.evenIfAborted) checkAborted(run);
  const started = run.clock.now();
  run.emit({ type: 'phase-start', phase: name });
  const finish = (status: PhaseRecord['status'], error?: BerthError) => {
    const ended = run.clock.now();
    run.phases.push({
      name,
      status,
      startedAt: new Date(started).toISOString(),
      endedAt: new Date(ended).toISOString(),
      durationMs: ended - started,
    });
    run.emit({
      type: 'phase-end',
      phase: name,
      status,
      durationMs: ended - started,
      ...(error ? { error: error.toJSON() } : {}),
    });
  };
  try {
    await runHooks(run, 'before', name);
    const value = await body();
    await runHooks(run, 'after', name);
    finish('succeeded');
    return value;
  } catch (error) {
    const berthError =
      run.signal.aborted && !BerthError.isInstance(error) ? abortErrorOf(run) : toBerthError(error);
    finish('failed', berthError);
    throw berthError;
  }
}

/** Record a phase that did not need to run. */
export function skipPhase(run: RunContext, name: PhaseName): void {
  const now = new Date(run.clock.now()).toISOString();
  run.phases.push({ name, status: 'skipped', startedAt: now, endedAt: now, durationMs: 0 });
  run.emit({ type: 'phase-end', phase: name, status: 'skipped', durationMs: 0 });
}
