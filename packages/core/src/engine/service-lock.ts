import type { ProviderLock, ProviderLockRequest } from '../provider/provider.js';
import type { ServiceState, StateLock } from '../state/state-store.js';
import type { EngineDeps } from './engine-deps.js';
import { providerContextFor, type RunContext, runPhase } from './run-context.js';

/** How a run takes the service's locks. */
export interface ServiceLockOptions {
  takeoverStaleLock?: boolean;
  /** What the run does, as the provider's lock is told. */
  operation: ProviderLockRequest['operation'];
}

/** The locks a run holds: the state store's, and the provider's when it has `lock`. */
interface HeldLocks {
  state?: StateLock;
  provider?: ProviderLock;
}

/** Milliseconds between renewals: a third of the shortest TTL, at most once a second. */
function heartbeatMs(deps: EngineDeps, providerLock: ProviderLock | undefined): number {
  const ttl = Math.min(deps.lockTtlMs, providerLock?.ttlMs ?? Number.POSITIVE_INFINITY);
  return Math.max(1_000, Math.floor(ttl / 3));
}

function warn(run: RunContext, message: string, error: unknown): void {
  run.emit({
    type: 'log',
    level: 'warn',
    message: `${message}: ${error instanceof Error ? error.message : String(error)}`,
  });
}

/** Release what is held: the provider's lock first, then the state lock. Never throws. */
async function releaseAll(run: RunContext, held: HeldLocks): Promise<void> {
  const { provider, state } = held;
  held.provider = undefined;
  held.state = undefined;
  await provider
    ?.release()
    .catch((error: unknown) => warn(run, 'The provider lock could not be released', error));
  await state?.release().catch(() => {});
}

/**
 * Run `body` holding the service's locks, renewing them while the run lasts, and always releasing
 * them. The `lock` phase takes the state store's lock, then the provider's (`Provider.lock`) when it
 * has one; a refused provider lock releases the state lock and fails the phase, before anything
 * changed. `body` receives the state read under the locks.
 */
export async function withServiceLock<T>(
  run: RunContext,
  deps: EngineDeps,
  options: ServiceLockOptions,
  body: (state: ServiceState | undefined) => Promise<T>,
): Promise<T> {
  const held: HeldLocks = {};
  try {
    await runPhase(run, 'lock', async () => {
      held.state = await deps.state.lock(run.target.service, {
        owner: { ...run.actor, runId: run.runId, startedAt: new Date(run.clock.now()).toISOString() },
        ttlMs: deps.lockTtlMs,
        takeover: options.takeoverStaleLock ?? deps.takeoverStaleLock,
        now: run.clock.now(),
      });
      held.provider = await deps.provider.lock?.(providerContextFor(run, 'lock'), run.target, {
        operation: options.operation,
        runId: run.runId,
      });
    });
  } catch (error) {
    // A refused provider lock, or a hook after `lock` that failed: give back what was taken.
    await releaseAll(run, held);
    throw error;
  }
  const heartbeat = setInterval(
    () => {
      held.state?.renew(run.clock.now()).catch(() => {});
      held.provider
        ?.renew?.()
        .catch((error: unknown) => warn(run, 'The provider lock could not be renewed', error));
    },
    heartbeatMs(deps, held.provider),
  );
  heartbeat.unref?.();
  try {
    const state = await deps.state.read(run.target.service);
    return await body(state);
  } finally {
    clearInterval(heartbeat);
    await releaseAll(run, held);
  }
}
