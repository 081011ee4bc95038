import { BerthError } from '../errors/index.js';
import type { PhaseName } from '../state/state-store.js';
import type { RunContext } from './run-context.js';

/** What a hook sees. */
export interface HookContext {
  service: string;
  runId: string;
  phase: PhaseName;
  when: 'before' | 'after';
  signal: AbortSignal;
  /** Values known at this point of the run (URL, revision…). */
  facts: Record<string, string | undefined>;
  log(message: string): void;
}

/**
 * Code run before or after a phase, e.g. registering the service with a registry after `verify`.
 * `onFailure`: `abort` (default) fails the phase (after `verify`, that triggers the rollback policy);
 * `continue` logs a warning and goes on.
 */
export interface Hook {
  name: string;
  before?: PhaseName;
  after?: PhaseName;
  onFailure?: 'abort' | 'continue';
  run(context: HookContext): Promise<void> | void;
}

/** Facts hooks can read; the engine fills them in as the run goes. */
export const hookFacts = new WeakMap<RunContext, Record<string, string | undefined>>();

export async function runHooks(run: RunContext, when: 'before' | 'after', phase: PhaseName): Promise<void> {
  for (const hook of run.hooks) {
    if (hook[when] !== phase) continue;
    try {
      await hook.run({
        service: run.target.service,
        runId: run.runId,
        phase,
        when,
        signal: run.signal,
        facts: { ...(hookFacts.get(run) ?? {}) },
        log: (message) => run.emit({ type: 'log', level: 'info', message: `[hook ${hook.name}] ${message}` }),
      });
    } catch (error) {
      const message = `Hook ${hook.name} (${when} ${phase}) failed: ${(error as Error).message ?? String(error)}`;
      if (hook.onFailure === 'continue') {
        run.emit({ type: 'log', level: 'warn', message });
        continue;
      }
      throw new BerthError('HOOK_FAILED', message, { cause: error });
    }
  }
}
