import { nodeCrypto } from '../ports/node-builtins.js';
import { checkExistingLock, type LockRecord } from './lock-rules.js';
import type { LockOptions, ServiceState, StateLock, StateStore } from './state-store.js';

/** A state store in memory, for tests and short-lived processes. Values are deep-copied in and out. */
export function memoryStateStore(): StateStore & { snapshot(): Record<string, ServiceState> } {
  const states = new Map<string, string>();
  const locks = new Map<string, LockRecord>();
  return {
    async read(service) {
      const raw = states.get(service);
      return raw === undefined ? undefined : (JSON.parse(raw) as ServiceState);
    },
    async write(service, state) {
      states.set(service, JSON.stringify(state));
    },
    async remove(service) {
      states.delete(service);
    },
    async lock(service, options: LockOptions): Promise<StateLock> {
      const existing = locks.get(service);
      if (existing) checkExistingLock(service, existing, options);
      const record: LockRecord = {
        owner: options.owner,
        token: nodeCrypto().randomUUID(),
        expiresAt: options.now + options.ttlMs,
      };
      locks.set(service, record);
      return {
        owner: options.owner,
        async renew(now: number) {
          if (locks.get(service)?.token === record.token) record.expiresAt = now + options.ttlMs;
        },
        async release() {
          if (locks.get(service)?.token === record.token) locks.delete(service);
        },
      };
    },
    snapshot() {
      return Object.fromEntries([...states].map(([key, raw]) => [key, JSON.parse(raw) as ServiceState]));
    },
  };
}
