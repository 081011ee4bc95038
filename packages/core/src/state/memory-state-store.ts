import { nodeCrypto } from '../ports/node-builtins.js';
import { checkHistoryAppend, decideTakeover, type LockRecord, lockLostError } from './lock-rules.js';
import { migrateState } from './migrate-state.js';
import type { LockOptions, LockTakeover, ServiceState, StateLock, StateStore } from './state-store.js';

/** A state store in memory, for tests and short-lived processes. Values are deep-copied in and out. */
export function memoryStateStore(): StateStore & { snapshot(): Record<string, ServiceState> } {
  const states = new Map<string, string>();
  const locks = new Map<string, LockRecord>();
  return {
    async read(service) {
      const raw = states.get(service);
      return raw === undefined ? undefined : migrateState(JSON.parse(raw), `memory:${service}`);
    },
    async write(service, state, options = {}) {
      if (options.fence !== undefined && locks.get(service)?.token !== options.fence)
        throw lockLostError(service, locks.get(service)?.owner);
      const stored = states.get(service);
      if (stored !== undefined)
        checkHistoryAppend(service, (JSON.parse(stored) as ServiceState).history, state.history);
      states.set(service, JSON.stringify(state));
    },
    async remove(service) {
      states.delete(service);
    },
    async lock(service, options: LockOptions): Promise<StateLock> {
      const existing = locks.get(service);
      const takeover: LockTakeover | undefined = existing
        ? decideTakeover(service, existing, options)
        : undefined;
      const record: LockRecord = {
        owner: options.owner,
        token: nodeCrypto().randomUUID(),
        expiresAt: options.now + options.ttlMs,
      };
      locks.set(service, record);
      let released = false;
      return {
        owner: options.owner,
        fence: record.token,
        ...(takeover ? { takeover } : {}),
        async renew(now: number) {
          if (released) return;
          const current = locks.get(service);
          if (current?.token !== record.token) throw lockLostError(service, current?.owner);
          record.expiresAt = now + options.ttlMs;
        },
        async release() {
          released = true;
          if (locks.get(service)?.token === record.token) locks.delete(service);
        },
      };
    },
    snapshot() {
      return Object.fromEntries([...states].map(([key, raw]) => [key, JSON.parse(raw) as ServiceState]));
    },
  };
}
