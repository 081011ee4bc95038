import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployer, type Deployer } from '../engine/create-deployer.js';
import type { BerthEvent } from '../engine/events.js';
import { BerthError } from '../errors/index.js';
import type { Provider } from '../provider/provider.js';
import type { ServiceSpecInput } from '../spec/service-spec.js';
import { memoryStateStore } from '../state/memory-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { WRITE_METHODS } from '../testing/memory-provider.js';
import { spyProvider } from '../testing/spy-provider.js';
import { createTestContext } from '../testing/test-context.js';
import type { ConformanceOptions } from './describe-provider-conformance.js';

/** A state store whose writes fail: the process "crashed" before it recorded anything. */
function crashingStore(): StateStore {
  const store = memoryStateStore();
  return {
    ...store,
    read: store.read.bind(store),
    lock: store.lock.bind(store),
    write: async () => {
      throw new Error('simulated crash before record');
    },
  };
}

/**
 * The convergence scenarios of issue 11 ("the target is the truth"): every run from a fresh state
 * store, two deployers with separate stores, a generated secret stable across stores, a crash between
 * apply and record, abort during verification, a service that is down, a failing rollback recorded
 * truthfully, a provider option change. Runs for providers with a `ledger`; the rest are skipped with
 * the reason.
 */
export function describeConvergenceConformance(options: ConformanceOptions): void {
  const timeout = options.timeoutMs ?? 120_000;
  describe(`${options.name}: convergence from any state store`, () => {
    const secretValue = `convergence-${randomBytes(12).toString('hex')}`;
    const name = `conv-${randomBytes(3).toString('hex')}`;
    const events: BerthEvent[] = [];
    let provider: Provider;
    let verified: string[] = [];

    const spec = (
      extra: Record<string, string> = {},
      health: Record<string, number> = {},
    ): ServiceSpecInput => {
      const base = options.spec();
      return {
        ...base,
        name,
        environment: 'dev',
        env: { ...base.env, ...extra },
        secrets: {
          ...base.secrets,
          CONVERGENCE_SECRET: { value: secretValue },
          ...(provider.secrets?.read ? { CONVERGENCE_KEY: { generate: 'api-key' as const } } : {}),
        },
        health: { intervalMs: 250, maxIntervalMs: 1_000, ...base.health, ...health },
        rollback: 'auto',
      };
    };
    const failing = (extra: Record<string, string> = {}) =>
      spec(
        { ...extra, BERTH_TEST_FAIL_HEALTH: '1' },
        { timeoutMs: options.failingHealthTimeoutMs ?? 10_000 },
      );
    const target = () => ({ service: `${name}-dev`, name, environment: 'dev' });
    /** A deployer with its own, empty state store: a fresh checkout, another machine. */
    const fresh = (wrapped: Provider = provider, state: StateStore = memoryStateStore()): Deployer =>
      createDeployer({
        provider: wrapped,
        state,
        onEvent: (event) => events.push(event),
        ...(options.imageBuilder ? { imageBuilder: options.imageBuilder() } : {}),
      });
    const serving = async () => (await provider.observe(createTestContext(), target()))?.revision;
    const needsLedger = (test: { skip: (note: string) => void }) => {
      if (!provider.ledger) test.skip('the provider keeps no ledger with the target (`Provider.ledger`)');
    };
    const get = async (url: string, path: string) => (await fetch(new URL(path, url))).status;

    beforeAll(async () => {
      provider = await options.provider();
    }, timeout);
    afterAll(async () => {
      await fresh()
        .down(spec())
        .catch(() => {});
      await provider?.close?.();
    }, timeout);

    it(
      'every core scenario with a fresh state store per run',
      async (test) => {
        needsLedger(test);
        const created = await fresh().up(spec());
        expect(created.error).toBeUndefined();
        expect(created.status).toBe('succeeded');
        verified.push(created.revision!);
        const plan = await fresh().plan(spec());
        expect(plan).toMatchObject({ action: 'noop', changes: [] });
        const again = await fresh().up(spec());
        expect(again.status).toBe('noop');
        expect(again.revision).toBe(created.revision);
        const updated = await fresh().up(spec({ CONVERGENCE_MARKER: 'two' }));
        expect(updated.status).toBe('succeeded');
        verified.push(updated.revision!);
        const bad = await fresh().up(failing({ CONVERGENCE_MARKER: 'three' }));
        expect(bad.status).toBe('rolled-back');
        expect(bad.revision).toBe(updated.revision);
        expect(await serving()).toBe(updated.revision);
        const manual = await fresh().rollback(spec());
        expect(manual.status).toBe('succeeded');
        expect(manual.revision).toBe(created.revision);
        expect(await serving()).toBe(created.revision);
        const history = await fresh().history(spec());
        expect(history.map((entry) => entry.revision)).toEqual(
          expect.arrayContaining([created.revision, updated.revision]),
        );
        expect(history.find((entry) => entry.revision === created.revision)?.verified).toBe(true);
        const back = await fresh().up(spec({ CONVERGENCE_MARKER: 'two' }));
        expect(back.status).toBe('succeeded');
        verified = [back.revision!];
      },
      timeout * 3,
    );

    it(
      'two deployers with separate state stores alternate without making revisions, and overlapping runs exclude each other',
      async (test) => {
        needsLedger(test);
        const one = fresh(provider, memoryStateStore());
        const two = fresh(provider, memoryStateStore());
        const live = await serving();
        for (const deployer of [one, two, one, two]) {
          const result = await deployer.up(spec({ CONVERGENCE_MARKER: 'two' }));
          expect(result.status).toBe('noop');
          expect(result.revision).toBe(live);
        }
        if (!provider.lock) return;
        // Start the second run while the first holds the target's lock (it is deploying).
        let second: Promise<unknown> | undefined;
        const first = createDeployer({
          provider,
          state: memoryStateStore(),
          ...(options.imageBuilder ? { imageBuilder: options.imageBuilder() } : {}),
          onEvent: (event) => {
            if (event.type === 'phase-start' && event.phase === 'deploy' && !second)
              second = two.up(spec({ CONVERGENCE_MARKER: 'overlap' }));
          },
        }).up(spec({ CONVERGENCE_MARKER: 'overlap' }));
        const [a, b] = [await first, (await second) as Awaited<typeof first>];
        expect(a.status).toBe('succeeded');
        expect(b.status).toBe('failed');
        expect(b.error?.code).toBe('LOCK_HELD');
        expect(b.phases.map((phase) => phase.name)).toEqual(['validate', 'lock']);
        const after = await two.up(spec({ CONVERGENCE_MARKER: 'overlap' }));
        expect(after.status).toBe('noop');
        expect(after.revision).toBe(a.revision);
        verified = [a.revision!];
      },
      timeout * 2,
    );

    it(
      'a generated secret keeps its value across updates and across state stores',
      async (test) => {
        needsLedger(test);
        if (!provider.secrets?.read) test.skip('the provider has no secret store it can read back');
        const before = await provider.secrets!.read!(createTestContext(), target(), 'CONVERGENCE_KEY');
        expect(before).toBeDefined();
        const updated = await fresh().up(spec({ CONVERGENCE_MARKER: 'four' }));
        expect(updated.status).toBe('succeeded');
        expect(updated.plan?.changes.map((change) => change.path)).toEqual(['env.CONVERGENCE_MARKER']);
        expect(await provider.secrets!.read!(createTestContext(), target(), 'CONVERGENCE_KEY')).toBe(before);
        verified = [updated.revision!];
      },
      timeout,
    );

    it(
      'a crash between apply and record converges: the next run adopts the live revision',
      async (test) => {
        needsLedger(test);
        // The crashing run: its state store fails, and its verification mark never reaches the ledger.
        const ledger = provider.ledger!;
        let writes = 0;
        const crashing: Provider = {
          ...provider,
          ledger: {
            ...ledger,
            read: ledger.read.bind(ledger),
            write: async (context, service, value) => {
              writes += 1;
              if (writes === 1) await ledger.write(context, service, value);
              else throw new Error('simulated crash');
            },
          },
        };
        const crashed = await fresh(crashing, crashingStore()).up(spec({ CONVERGENCE_MARKER: 'five' }));
        expect(crashed.status).toBe('failed');
        const live = await serving();
        const spied = spyProvider(provider);
        const next = await fresh(spied.provider).up(spec({ CONVERGENCE_MARKER: 'five' }));
        expect(next.error).toBeUndefined();
        expect(next.status).toBe('succeeded');
        expect(next.revision).toBe(live);
        expect(spied.calls).not.toContain('apply');
        const after = await fresh().up(spec({ CONVERGENCE_MARKER: 'five' }));
        expect(after.status).toBe('noop');
        verified = [live!];
      },
      timeout,
    );

    it(
      'an abort during verification rolls back before returning',
      async (test) => {
        needsLedger(test);
        const good = await serving();
        const controller = new AbortController();
        const result = await createDeployer({
          provider,
          state: memoryStateStore(),
          ...(options.imageBuilder ? { imageBuilder: options.imageBuilder() } : {}),
          onEvent: (event) => {
            if (event.type === 'health-check' && !event.ok) controller.abort();
            // The platform refuses the version before Berth verifies it: abort while it deploys.
            if (options.platformHealthChecks && event.type === 'phase-start' && event.phase === 'ready')
              controller.abort();
          },
        }).up(failing({ CONVERGENCE_MARKER: 'six' }), { signal: controller.signal });
        expect(result.error?.code).toBe('DEPLOY_ABORTED');
        expect(result.rollback?.status).toBe('succeeded');
        expect(result.revision).toBe(good);
        expect(await serving()).toBe(good);
        expect(await get(result.url!, '/.well-known/health')).toBe(200);
      },
      timeout,
    );

    it(
      'a service that is down is repaired by up, not planned noop',
      async (test) => {
        needsLedger(test);
        if (!options.stopService) test.skip('the suite was given no `stopService`');
        const live = await serving();
        await options.stopService!(provider, target(), live!);
        const plan = await fresh().plan(spec({ CONVERGENCE_MARKER: 'five' }));
        expect(plan.action).toBe('update');
        expect(plan.drift.map((drift) => drift.path)).toContain('ready');
        const repaired = await fresh().up(spec({ CONVERGENCE_MARKER: 'five' }));
        expect(repaired.error).toBeUndefined();
        expect(repaired.status).toBe('succeeded');
        expect(await get(repaired.url!, '/.well-known/health')).toBe(200);
        verified = [repaired.revision!];
      },
      timeout,
    );

    it(
      'a failing rollback is recorded truthfully, and rollback() then finds the real good revision',
      async (test) => {
        needsLedger(test);
        const good = await serving();
        const broken: Provider = {
          ...provider,
          apply: (context, desired, applyOptions) =>
            applyOptions.reason === 'rollback'
              ? Promise.reject(new BerthError('PROVIDER_UNAVAILABLE', 'injected rollback failure'))
              : provider.apply(context, desired, applyOptions),
          ...(provider.restoreRevision
            ? {
                restoreRevision: () =>
                  Promise.reject(new BerthError('PROVIDER_UNAVAILABLE', 'injected rollback failure')),
              }
            : {}),
        };
        const state = memoryStateStore();
        const result = await fresh(broken, state).up(failing({ CONVERGENCE_MARKER: 'seven' }));
        const live = await serving();
        expect(result.revision).toBe(live);
        expect((await state.read(`${name}-dev`))?.current?.revision).toBe(live);
        if (live === good) {
          // Verify before traffic: the failing revision never served.
          expect(result.status).toBe('rolled-back');
        } else {
          expect(result.status).toBe('rollback-failed');
          expect((await state.read(`${name}-dev`))?.current?.verified).toBe(false);
          const manual = await fresh(provider, state).rollback(spec({ CONVERGENCE_MARKER: 'five' }));
          expect(manual.status).toBe('succeeded');
          expect(manual.revision).toBe(good);
          expect(await serving()).toBe(good);
        }
      },
      timeout * 2,
    );

    it(
      'a provider option change is planned as an update and applied',
      async (test) => {
        needsLedger(test);
        if (!options.optionChange) test.skip('the suite was given no `optionChange`');
        const changed = await options.optionChange!.provider();
        const deployer = fresh(changed);
        const plan = await deployer.plan(spec({ CONVERGENCE_MARKER: 'five' }));
        expect(plan.action).toBe('update');
        expect(plan.changes.map((change) => change.path)).toContain(options.optionChange!.path);
        const result = await deployer.up(spec({ CONVERGENCE_MARKER: 'five' }));
        expect(result.status).toBe('succeeded');
        expect((await deployer.plan(spec({ CONVERGENCE_MARKER: 'five' }))).action).toBe('noop');
        await changed.close?.();
      },
      timeout,
    );

    it(
      'no secret value appears in any event',
      async () => {
        const text = JSON.stringify(events);
        expect(text.includes(secretValue)).toBe(false);
        expect(JSON.stringify(events.filter((event) => event.type === 'plan-ready')).length).toBeGreaterThan(
          0,
        );
        void WRITE_METHODS;
        void verified;
      },
      timeout,
    );
  });
}
