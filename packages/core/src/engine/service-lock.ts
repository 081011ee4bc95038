import { AsyncLocalStorage } from 'node:async_hooks';
import { BerthError } from '../errors/index.js';
import type { ProviderLock, ProviderLockRequest } from '../provider/provider.js';
import type { LockTakeover, ServiceState, StateLock } from '../state/state-store.js';
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

/** What a write made inside `withServiceLock` needs: the fence of the lock, and the takeover to record. */
export interface HeldStateLock {
  fence: string;
  takeover?: LockTakeover;
}

/**
 * The state lock of the run whose async flow this is. It follows the run from `withServiceLock` to
 * every `recordRun`, so every write of a run is fenced without each phase passing the lock along.
 */
const heldStateLock = new AsyncLocalStorage<HeldStateLock>();

/** The state lock held by the current run, if any (record-run.ts fences its write with it). */
export function currentStateLock(): HeldStateLock | undefined {
  return heldStateLock.getStore();
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
  await state?.release().catch((error: unknown) => warn(run, 'The state lock could not be released', error));
}

/**
 * Renew the state lock. A lost lock (`LOCK_LOST`: another run took it over after it expired) aborts
 * the run, which stops at its next safe point; its writes are refused by the store's fencing anyway.
 * Other renew failures (the store briefly unreachable) are warnings: the next beat tries again.
 */
async function renewStateLock(run: RunContext, lock: StateLock): Promise<void> {
  try {
    await lock.renew(run.clock.now());
  } catch (error) {
    if (BerthError.isInstance(error) && error.code === 'LOCK_LOST') {
      run.emit({ type: 'log', level: 'error', message: error.message });
      run.abort(error);
    } else warn(run, 'The state lock could not be renewed', error);
  }
}

/**
 * Run `body` holding the service's locks, renewing them while the run lasts, and always releasing
 * them. The `lock` phase takes the state store's lock (taking over an expired one, which is
 * announced as a `lock-takeover` event and recorded in the run's history entry), then the
 * provider's (`Provider.lock`) when it has one; a refused provider lock releases the state lock and
 * fails the phase, before anything changed. `body` receives the state read under the locks; every
 * state write inside it carries the lock's fence.
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
      if (held.state.takeover) run.emit({ type: 'lock-takeover', ...held.state.takeover });
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
  const stateLock = held.state!;
  let renewing: Promise<void> | undefined;
  const heartbeat = setInterval(
    () => {
      // One renewal at a time: a slow store must not pile renewals up behind each other.
      renewing ??= renewStateLock(run, stateLock).finally(() => {
        renewing = undefined;
      });
      held.provider
        ?.renew?.()
        .catch((error: unknown) => warn(run, 'The provider lock could not be renewed', error));
    },
    heartbeatMs(deps, held.provider),
  );
  heartbeat.unref?.();
  const fenced: HeldStateLock = {
    fence: stateLock.fence,
    ...(stateLock.takeover ? { takeover: stateLock.takeover } : {}),
  };
  try {
    return await heldStateLock.run(fenced, async () => body(await deps.state.read(run.target.service)));
  } finally {
    clearInterval(heartbeat);
    // A renewal still in flight finishes before the release (the stores also refuse to re-create).
    await renewing;
    await releaseAll(run, held);
  }
}
