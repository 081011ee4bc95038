/**
 * The host lock held for a whole engine run. The engine takes it through the provider's `lock` in
 * the `lock` phase of `up`, `down`, `rollback` and `promote`, and releases it after `record`, so no
 * other operator changes the service between this run's `apply` and the end of its verification or
 * rollback, even one whose state store is on another machine.
 *
 * While a provider holds the run lock of a service, its steps (`runAudited`, the systemd builder)
 * work under it instead of taking the lock each time. A provider method called directly, outside an
 * engine run, finds no run lock and takes the lock for its step alone, as before.
 */
import type { Provider } from '@berth/core';
import type { ProviderAudit } from './host-audit.js';
import { type HostLayout, hostLayout } from './host-layout.js';
import { acquireHostLock, type HostLock } from './host-lock.js';

/** The run locks one provider instance holds, by service. */
export interface RunLocks {
  /** The run lock held for `layout`'s service, or `undefined`. */
  held(layout: HostLayout): HostLock | undefined;
  /** Remember `lock` as the run lock of `layout`'s service. */
  hold(layout: HostLayout, lock: HostLock): void;
  /** Forget `lock` (only if it is still the one remembered). */
  drop(layout: HostLayout, lock: HostLock): void;
}

/** An empty set of run locks, one per provider instance. */
export function runLocks(): RunLocks {
  const byLockDir = new Map<string, HostLock>();
  return {
    held: (layout) => byLockDir.get(layout.lockDir),
    hold: (layout, lock) => {
      byLockDir.set(layout.lockDir, lock);
    },
    drop: (layout, lock) => {
      if (byLockDir.get(layout.lockDir) === lock) byLockDir.delete(layout.lockDir);
    },
  };
}

/**
 * The provider's `lock`: the host lock of the service, owned by the provider's operator and named
 * with the run's operation and id. A lock another run holds is refused with `LOCK_HELD` naming it;
 * one older than `lockTtlSeconds` is taken over with a warning. The engine renews it at least every
 * third of its TTL.
 */
export function hostRunLock(audit: ProviderAudit): NonNullable<Provider['lock']> {
  return async (context, target, run) => {
    const layout = hostLayout(audit.baseDir, target.service);
    const lock = await acquireHostLock(audit.connection, layout, {
      owner: audit.operator,
      operation: run.operation,
      runId: run.runId,
      ttlSeconds: audit.lockTtlSeconds,
      warn: (message) => context.log('warn', message),
    });
    audit.runLocks.hold(layout, lock);
    return {
      ttlMs: audit.lockTtlSeconds * 1000,
      renew: () => lock.renew(),
      async release() {
        audit.runLocks.drop(layout, lock);
        await lock.release();
      },
    };
  };
}
