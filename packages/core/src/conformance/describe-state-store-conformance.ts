import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeployer } from '../engine/create-deployer.js';
import type { BerthEvent } from '../engine/events.js';
import { BerthError } from '../errors/index.js';
import {
  type HistoryEntry,
  type LockOwner,
  type ServiceState,
  STATE_SCHEMA_VERSION,
  type StateLock,
  type StateStore,
} from '../state/state-store.js';
import { memoryProvider } from '../testing/memory-provider.js';

/** Options of `describeStateStoreConformance`. */
export interface StateStoreConformanceOptions {
  /** Shown in the suite's title. */
  name: string;
  /**
   * A store on the suite's backend. Every call must reach the same data (the suite uses random
   * service names); return a new client each time where the store has one (a new pool, a new S3
   * client), so that racers behave like separate processes.
   */
  create: () => StateStore | Promise<StateStore>;
  /**
   * Store `raw` as the state of `service` exactly as an older Berth would have (no migration):
   * the suite checks that reading migrates it, and deterministically.
   */
  seedRaw: (service: string, raw: Record<string, unknown>) => Promise<void>;
  /** Everything the store persisted for `service`, as text (files, rows, objects): scanned for secret values. */
  dumpRaw: (service: string) => Promise<string>;
  /** How many racers the concurrency tests start. Default 8. */
  racers?: number;
  /** How many rounds of each race. Default 10. */
  rounds?: number;
  /** Per-test timeout. Default 60 s. */
  timeoutMs?: number;
}

const owner = (runId: string, pid = process.pid): LockOwner => ({
  host: 'conformance-host',
  user: 'conformance',
  pid,
  runId,
  startedAt: '2026-01-01T00:00:00.000Z',
});

const entry = (id: string): HistoryEntry => ({
  id,
  kind: 'deploy',
  status: 'succeeded',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  actor: { host: 'conformance-host', user: 'conformance', pid: 1 },
  verified: true,
  phases: [],
});

const stateOf = (service: string, ids: string[]): ServiceState => ({
  schemaVersion: STATE_SCHEMA_VERSION,
  service,
  name: service,
  environment: 'dev',
  provider: 'memory',
  fingerprintKey: 'conformance-key',
  revisionCounter: ids.length,
  history: ids.map(entry),
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (BerthError.isInstance(error)) return error.code;
    throw error;
  }
}

/**
 * The suite every state store passes, including third-party ones (docs/state.md): atomic state,
 * append-only ordered history, locks (exclusion, TTL, takeover with exactly one winner, renew,
 * release only by the holder, renew after release), fencing of writes, deterministic migration of
 * older schema versions, and no secret value stored by a deploy. Call it inside a test file.
 */
export function describeStateStoreConformance(options: StateStoreConformanceOptions): void {
  const timeout = options.timeoutMs ?? 60_000;
  const racers = options.racers ?? 8;
  const rounds = options.rounds ?? 10;
  const serviceName = () => `conf-${randomBytes(4).toString('hex')}-dev`;
  // Every store the suite makes is closed after its test (and after each race round), so stores
  // that hold connections (a database pool) do not pile up over the suite.
  const open: StateStore[] = [];
  const create = async (): Promise<StateStore> => {
    const store = await options.create();
    open.push(store);
    return store;
  };
  const closeOpen = async () => {
    await Promise.all(open.splice(0).map((store) => (store as { close?: () => Promise<void> }).close?.()));
  };

  describe(`${options.name}: Berth state store contract`, () => {
    afterEach(closeOpen);
    it('reads nothing for a new service and round-trips a state', { timeout }, async () => {
      const store = await create();
      const service = serviceName();
      expect(await store.read(service)).toBeUndefined();
      await store.write(service, stateOf(service, ['a', 'b']));
      expect(await store.read(service)).toEqual(stateOf(service, ['a', 'b']));
      const other = await create();
      expect(await other.read(service)).toEqual(stateOf(service, ['a', 'b']));
    });

    it('keeps history append-only and in order', { timeout }, async () => {
      const store = await create();
      const service = serviceName();
      await store.write(service, stateOf(service, ['a']));
      await store.write(service, stateOf(service, ['a', 'b', 'c']));
      expect(await codeOf(store.write(service, stateOf(service, ['a', 'c'])))).toBe('STATE_CONFLICT');
      expect(await codeOf(store.write(service, stateOf(service, ['a'])))).toBe('STATE_CONFLICT');
      expect(await codeOf(store.write(service, stateOf(service, ['x', 'b', 'c', 'd'])))).toBe(
        'STATE_CONFLICT',
      );
      expect((await store.read(service))?.history.map((item) => item.id)).toEqual(['a', 'b', 'c']);
    });

    it('replaces state atomically under concurrent writers and readers', { timeout }, async () => {
      const store = await create();
      const service = serviceName();
      const ids: string[] = [];
      const padding = 'p'.repeat(20_000);
      const writes: Promise<void>[] = [];
      for (let index = 0; index < 12; index += 1) {
        ids.push(`w${index}`);
        const state = stateOf(service, [...ids]);
        state.current = {
          revision: `r${index}`,
          image: { ref: padding },
          secretFingerprints: {},
          verified: true,
          deployedAt: state.history.at(-1)!.endedAt,
          record: { revision: `r${index}`, image: { ref: padding }, env: {}, secrets: {} } as never,
        };
        await store.write(service, state);
        writes.push(
          (async () => {
            const seen = await (await create()).read(service);
            // Whatever a reader sees is one complete state: its revision matches its history.
            expect(seen?.current?.revision).toBe(`r${seen!.history.length - 1}`);
          })(),
        );
      }
      await Promise.all(writes);
      expect((await store.read(service))?.history).toHaveLength(12);
    });

    it('lets one run hold a lock and names the owner and the expiry to the next', { timeout }, async () => {
      const service = serviceName();
      const now = Date.now();
      const first = await (await create()).lock(service, {
        owner: owner('run-1'),
        ttlMs: 60_000,
        now,
      });
      const refused = await (await create())
        .lock(service, { owner: owner('run-2'), ttlMs: 60_000, now })
        .catch((error: unknown) => error);
      expect(BerthError.isInstance(refused) && refused.code).toBe('LOCK_HELD');
      expect((refused as BerthError).retryable).toBe(true);
      expect((refused as BerthError).message).toContain('conformance@conformance-host (pid');
      expect((refused as BerthError).message).toContain('run run-1');
      expect((refused as BerthError).details?.expiresAt).toBe(new Date(now + 60_000).toISOString());
      await first.release();
      const third = await (await create()).lock(service, {
        owner: owner('run-3'),
        ttlMs: 60_000,
        now,
      });
      expect(third.takeover).toBeUndefined();
      await third.release();
    });

    it(`gives the lock to exactly one of ${racers} racers, ${rounds} times`, { timeout }, async () => {
      for (let round = 0; round < rounds; round += 1) {
        const service = serviceName();
        const stores = await Promise.all(Array.from({ length: racers }, () => create()));
        const outcomes = await Promise.allSettled(
          stores.map((store, index) =>
            store.lock(service, { owner: owner(`racer-${index}`), ttlMs: 60_000, now: Date.now() }),
          ),
        );
        const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const outcome of outcomes)
          if (outcome.status === 'rejected') {
            expect(outcome.reason).toMatchObject({ code: 'LOCK_HELD' });
            // Never a half-written lock read as "?@?".
            expect(String(outcome.reason.message)).toContain('conformance@conformance-host');
          }
        await (winners[0] as PromiseFulfilledResult<StateLock>).value.release();
        await closeOpen();
      }
    });

    it('takes over an expired lock automatically and says whose it was', { timeout }, async () => {
      const service = serviceName();
      const now = Date.now();
      await (await create()).lock(service, {
        owner: owner('crashed'),
        ttlMs: 1_000,
        now: now - 5_000,
      });
      const taken = await (await create()).lock(service, {
        owner: owner('next'),
        ttlMs: 60_000,
        now,
      });
      expect(taken.takeover).toEqual({
        previousOwner: owner('crashed'),
        expiresAt: new Date(now - 4_000).toISOString(),
        reason: 'expired',
      });
      await taken.release();
    });

    it('takes over the lock of a process of this host that is gone', { timeout }, async () => {
      const service = serviceName();
      const gone = { ...owner('gone', 2 ** 22 + 11), host: hostname() };
      await (await create()).lock(service, { owner: gone, ttlMs: 60_000, now: Date.now() });
      const taken = await (await create()).lock(service, {
        owner: owner('next'),
        ttlMs: 60_000,
        now: Date.now(),
      });
      expect(taken.takeover?.reason).toBe('owner-gone');
      await taken.release();
    });

    it('takes over a live lock only when forced', { timeout }, async () => {
      const service = serviceName();
      const now = Date.now();
      const held = await (await create()).lock(service, { owner: owner('live'), ttlMs: 60_000, now });
      const forced = await (await create()).lock(service, {
        owner: owner('forcing'),
        ttlMs: 60_000,
        now,
        takeover: true,
      });
      expect(forced.takeover?.reason).toBe('forced');
      expect(await codeOf(held.renew(Date.now()))).toBe('LOCK_LOST');
      await held.release();
      // The old holder's release did not remove the new holder's lock.
      expect(
        await codeOf((await create()).lock(service, { owner: owner('third'), ttlMs: 60_000, now })),
      ).toBe('LOCK_HELD');
      await forced.release();
    });

    it(
      `has exactly one winner when ${racers} runs take over one expired lock, ${rounds} times`,
      { timeout },
      async () => {
        for (let round = 0; round < rounds; round += 1) {
          const service = serviceName();
          await (await create()).lock(service, {
            owner: owner('crashed'),
            ttlMs: 1,
            now: Date.now() - 10_000,
          });
          const stores = await Promise.all(Array.from({ length: racers }, () => create()));
          const outcomes = await Promise.allSettled(
            stores.map((store, index) =>
              store.lock(service, { owner: owner(`taker-${index}`), ttlMs: 60_000, now: Date.now() }),
            ),
          );
          const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
          expect(winners).toHaveLength(1);
          for (const outcome of outcomes)
            if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'LOCK_HELD' });
          await (winners[0] as PromiseFulfilledResult<StateLock>).value.release();
          await closeOpen();
        }
      },
    );

    it('keeps a renewed lock alive past its first expiry', { timeout }, async () => {
      const service = serviceName();
      const lock = await (await create()).lock(service, {
        owner: owner('renewing'),
        ttlMs: 2_000,
        now: Date.now() - 1_900,
      });
      await lock.renew(Date.now());
      expect(
        await codeOf((await create()).lock(service, { owner: owner('x'), ttlMs: 1_000, now: Date.now() })),
      ).toBe('LOCK_HELD');
      await lock.release();
    });

    it('never re-creates a released lock from a renew in flight or after', { timeout }, async () => {
      for (let round = 0; round < rounds; round += 1) {
        const service = serviceName();
        const store = await create();
        const lock = await store.lock(service, { owner: owner('short'), ttlMs: 60_000, now: Date.now() });
        const inFlight = lock.renew(Date.now()).catch(() => {});
        await lock.release();
        await inFlight;
        await lock.renew(Date.now());
        const next = await (await create()).lock(service, {
          owner: owner('next'),
          ttlMs: 60_000,
          now: Date.now(),
        });
        expect(next.takeover).toBeUndefined();
        await next.release();
      }
    });

    it('releases only for the holder', { timeout }, async () => {
      const service = serviceName();
      const old = await (await create()).lock(service, {
        owner: owner('old'),
        ttlMs: 1_000,
        now: Date.now() - 5_000,
      });
      const current = await (await create()).lock(service, {
        owner: owner('current'),
        ttlMs: 60_000,
        now: Date.now(),
      });
      await old.release();
      const refused = await (await create())
        .lock(service, { owner: owner('third'), ttlMs: 60_000, now: Date.now() })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: 'LOCK_HELD' });
      expect(String((refused as Error).message)).toContain('run current');
      await current.release();
      await current.release();
    });

    it('fences writes: a run that lost its lock cannot write, and is told', { timeout }, async () => {
      const service = serviceName();
      const storeA = await create();
      const storeB = await create();
      const a = await storeA.lock(service, { owner: owner('a'), ttlMs: 1_000, now: Date.now() - 5_000 });
      await storeA.write(service, stateOf(service, ['a1']), { fence: a.fence });
      const b = await storeB.lock(service, { owner: owner('b'), ttlMs: 60_000, now: Date.now() });
      expect(b.fence).not.toBe(a.fence);
      await storeB.write(service, stateOf(service, ['a1', 'b1']), { fence: b.fence });
      expect(await codeOf(storeA.write(service, stateOf(service, ['a1', 'a2']), { fence: a.fence }))).toBe(
        'LOCK_LOST',
      );
      expect(await codeOf(a.renew(Date.now()))).toBe('LOCK_LOST');
      expect((await storeB.read(service))?.history.map((item) => item.id)).toEqual(['a1', 'b1']);
      await b.release();
      expect(
        await codeOf(storeB.write(service, stateOf(service, ['a1', 'b1', 'b2']), { fence: b.fence })),
      ).toBe('LOCK_LOST');
    });

    it('migrates an older schema version on read, deterministically', { timeout }, async () => {
      const service = serviceName();
      const v1 = {
        service,
        name: 'app',
        environment: 'dev',
        provider: 'memory',
        history: [entry('old-1'), entry('old-2')],
      };
      await options.seedRaw(service, v1);
      const first = await (await create()).read(service);
      const second = await (await create()).read(service);
      expect(first).toMatchObject({ schemaVersion: STATE_SCHEMA_VERSION, service, revisionCounter: 2 });
      expect(first?.fingerprintKey).toMatch(/^[\w-]{40,}$/);
      expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      const newer = serviceName();
      await options.seedRaw(newer, { ...v1, service: newer, schemaVersion: STATE_SCHEMA_VERSION + 1 });
      expect(await codeOf((await create()).read(newer))).toBe('STATE_VERSION_UNSUPPORTED');
    });

    it('stores no secret value when a deploy runs on it', { timeout }, async () => {
      const store = await create();
      const secretValue = `state-conformance-${randomBytes(12).toString('hex')}`;
      const provider = memoryProvider();
      const events: BerthEvent[] = [];
      try {
        const deployer = createDeployer({ provider, state: store, onEvent: (event) => events.push(event) });
        const name = `conf${randomBytes(3).toString('hex')}`;
        const result = await deployer.up({
          name,
          image: { ref: 'memory/state-conformance@sha256:aaaa' },
          secrets: { API_TOKEN: { value: secretValue } },
          health: { intervalMs: 20, timeoutMs: 5_000 },
        });
        expect(result.status).toBe('succeeded');
        const again = await deployer.up({
          name,
          image: { ref: 'memory/state-conformance@sha256:aaaa' },
          secrets: { API_TOKEN: { value: secretValue } },
          health: { intervalMs: 20, timeoutMs: 5_000 },
        });
        expect(again.status).toBe('noop');
        const raw = await options.dumpRaw(`${name}-dev`);
        expect(raw).toContain(`${name}-dev`);
        expect(raw).not.toContain(secretValue);
        expect(JSON.stringify(events)).not.toContain(secretValue);
        expect((await store.read(`${name}-dev`))?.current?.verified).toBe(true);
      } finally {
        await provider.close();
      }
    });
  });
}
