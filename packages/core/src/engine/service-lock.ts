import type { ServiceState } from '../state/state-store.js';
import type { EngineDeps } from './engine-deps.js';
import { type RunContext, runPhase } from './run-context.js';

/**
 * Run `body` holding the service's lock, renewing it while the run lasts, and always releasing it.
 * `body` receives the state read under the lock.
 */
export async function withServiceLock<T>(
  run: RunContext,
  deps: EngineDeps,
  options: { takeoverStaleLock?: boolean },
  body: (state: ServiceState | undefined) => Promise<T>,
): Promise<T> {
  const lock = await runPhase(run, 'lock', () =>
    deps.state.lock(run.target.service, {
      owner: { ...run.actor, runId: run.runId, startedAt: new Date(run.clock.now()).toISOString() },
      ttlMs: deps.lockTtlMs,
      takeover: options.takeoverStaleLock ?? deps.takeoverStaleLock,
      now: run.clock.now(),
    }),
  );
  const heartbeat = setInterval(
    () => {
      lock.renew(run.clock.now()).catch(() => {});
    },
    Math.max(1_000, Math.floor(deps.lockTtlMs / 3)),
  );
  heartbeat.unref?.();
  try {
    const state = await deps.state.read(run.target.service);
    return await body(state);
  } finally {
    clearInterval(heartbeat);
    await lock.release().catch(() => {});
  }
}
