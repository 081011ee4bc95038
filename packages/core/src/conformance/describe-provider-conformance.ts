import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployer, type Deployer } from '../engine/create-deployer.js';
import type { BerthEvent } from '../engine/events.js';
import { BerthError } from '../errors/index.js';
import type { ImageBuilder } from '../ports/image-builder.js';
import type { Provider, ProviderLock, ServiceTarget } from '../provider/provider.js';
import type { ServiceSpecInput } from '../spec/service-spec.js';
import { memoryStateStore } from '../state/memory-state-store.js';
import type { StateStore } from '../state/state-store.js';
import { WRITE_METHODS } from '../testing/memory-provider.js';
import { spyProvider } from '../testing/spy-provider.js';
import { createTestContext } from '../testing/test-context.js';
import { describeConvergenceConformance } from './describe-convergence-conformance.js';

/** Options of `describeProviderConformance`. */
export interface ConformanceOptions {
  /** Shown in the suite's title. */
  name: string;
  /** A fresh provider for the suite. */
  provider: () => Provider | Promise<Provider>;
  /**
   * A healthy service spec. Its service must follow the test-service contract: the health path
   * answers 200, or 500 when env `BERTH_TEST_FAIL_HEALTH=1`. The suite sets `name` itself.
   */
  spec: () => ServiceSpecInput;
  imageBuilder?: () => ImageBuilder;
  /** Default: a memory store; `state()` lets a suite use files. */
  state?: () => StateStore;
  /** Also check `GET /env/NAME` echoes env (the test-service contract). Default true. */
  envEndpoint?: boolean;
  /** Health timeout for the deliberately failing revision. Default 10 s. */
  failingHealthTimeoutMs?: number;
  /**
   * The platform checks a new version's health itself before it serves and rolls it back on its own
   * (App Runner, ECS Express): a failing version never reaches Berth's verification. The abort
   * scenario then aborts while the platform deploys it (the `ready` phase) instead of on a failed
   * Berth health check. Default false.
   */
  platformHealthChecks?: boolean;
  /** Per-test timeout. Default 120 s. */
  timeoutMs?: number;
  /** Extra files whose text must not contain secret values (e.g. a state folder). */
  filesToScan?: () => Promise<string[]>;
  /**
   * Stop the live revision's process behind Berth's back (stop the container, kill the unit, crash
   * the instance), for the "a service that is down is repaired" scenario. Without it, that scenario
   * is skipped.
   */
  stopService?: (provider: Provider, target: ServiceTarget, revision: string) => Promise<void>;
  /**
   * A second provider for the same targets whose desired-state options differ
   * (`Provider.desiredOptions`), and the plan path that must change, e.g. `provider.serviceAccount`.
   */
  optionChange?: { provider: () => Provider | Promise<Provider>; path: string };
}

/**
 * The suite every provider runs: create → re-run is `noop` → env change is `update` → a failing
 * revision rolls back automatically → manual rollback → status and history → `down` leaves nothing
 * tool-owned behind; a provider `lock` refuses a second lock until released; plans are read-only;
 * no secret value leaks anywhere. Call it inside a test file.
 */
export function describeProviderConformance(options: ConformanceOptions): void {
  const timeout = options.timeoutMs ?? 120_000;
  describeConvergenceConformance(options);
  describe(`${options.name}: Berth provider contract v1`, () => {
    const secretValue = `conformance-${randomBytes(12).toString('hex')}`;
    const events: BerthEvent[] = [];
    const outputs: unknown[] = [];
    const name = `conf-${randomBytes(3).toString('hex')}`;
    let provider: Provider;
    let spied: ReturnType<typeof spyProvider>;
    let state: StateStore;
    let deployer: Deployer;
    let firstRevision: string | undefined;
    let secondRevision: string | undefined;
    let generatedValue: string | undefined;

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
          CONFORMANCE_SECRET: { value: secretValue },
          ...(provider.secrets ? { CONFORMANCE_KEY: { generate: 'api-key' as const } } : {}),
        },
        health: { intervalMs: 250, maxIntervalMs: 1_000, ...base.health, ...health },
        rollback: 'auto',
      };
    };
    const target = () => ({ service: `${name}-dev`, name, environment: 'dev' });
    const context = () => createTestContext();
    const get = async (url: string, path: string) => {
      const response = await fetch(new URL(path, url));
      return { status: response.status, body: await response.text() };
    };

    beforeAll(async () => {
      provider = await options.provider();
      spied = spyProvider(provider);
      state = options.state?.() ?? memoryStateStore();
      deployer = createDeployer({
        provider: spied.provider,
        state,
        onEvent: (event) => events.push(event),
        ...(options.imageBuilder ? { imageBuilder: options.imageBuilder() } : {}),
      });
    }, timeout);

    afterAll(async () => {
      await deployer?.down(spec()).catch(() => {});
      await provider?.close?.();
    }, timeout);

    it(
      'creates the service, which answers its health check at the returned URL',
      async () => {
        const result = await deployer.up(spec());
        outputs.push(result);
        expect(result.error).toBeUndefined();
        expect(result.status).toBe('succeeded');
        expect(result.plan?.action).toBe('create');
        expect(result.url).toMatch(/^https?:\/\//);
        firstRevision = result.revision;
        const health = await get(result.url!, '/.well-known/health');
        expect(health.status).toBe(200);
        generatedValue = await provider.secrets?.read?.(context(), target(), 'CONFORMANCE_KEY');
      },
      timeout,
    );

    it(
      're-running the same spec is a noop that writes nothing',
      async () => {
        const before = JSON.stringify(await state.read(`${name}-dev`));
        spied.calls.length = 0;
        const result = await deployer.up(spec());
        outputs.push(result);
        expect(result.status).toBe('noop');
        expect(result.revision).toBe(firstRevision);
        expect(spied.calls.filter((call) => (WRITE_METHODS as readonly string[]).includes(call))).toEqual([]);
        expect(JSON.stringify(await state.read(`${name}-dev`))).toBe(before);
      },
      timeout,
    );

    it(
      'plans are read-only: an update is planned, nothing is written',
      async () => {
        const before = JSON.stringify(await state.read(`${name}-dev`));
        spied.calls.length = 0;
        const plan = await deployer.plan(spec({ CONFORMANCE_MARKER: 'two' }));
        outputs.push(plan);
        expect(plan.action).toBe('update');
        expect(plan.changes).toContainEqual({
          path: 'env.CONFORMANCE_MARKER',
          kind: 'add',
          before: null,
          after: 'two',
        });
        expect(spied.calls.filter((call) => (WRITE_METHODS as readonly string[]).includes(call))).toEqual([]);
        expect(JSON.stringify(await state.read(`${name}-dev`))).toBe(before);
        expect(JSON.stringify(await deployer.plan(spec({ CONFORMANCE_MARKER: 'two' })))).toBe(
          JSON.stringify(plan),
        );
      },
      timeout,
    );

    it(
      'changing env is an update that makes a new revision',
      async () => {
        const result = await deployer.up(spec({ CONFORMANCE_MARKER: 'two' }));
        outputs.push(result);
        expect(result.status).toBe('succeeded');
        expect(result.plan?.action).toBe('update');
        expect(result.revision).not.toBe(firstRevision);
        secondRevision = result.revision;
        if (options.envEndpoint !== false)
          expect((await get(result.url!, '/env/CONFORMANCE_MARKER')).body.trim()).toBe('two');
      },
      timeout,
    );

    it(
      'a revision that fails its health check is rolled back automatically',
      async () => {
        const result = await deployer.up(
          spec(
            { CONFORMANCE_MARKER: 'two', BERTH_TEST_FAIL_HEALTH: '1' },
            { timeoutMs: options.failingHealthTimeoutMs ?? 10_000 },
          ),
        );
        outputs.push(result);
        expect(result.status).toBe('rolled-back');
        expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
        expect(result.rollback?.status).toBe('succeeded');
        expect(result.revision).toBe(secondRevision);
        expect((await get(result.url!, '/.well-known/health')).status).toBe(200);
      },
      timeout,
    );

    it(
      'a manual rollback restores the previous healthy revision',
      async () => {
        const result = await deployer.rollback(spec(), { to: firstRevision! });
        outputs.push(result);
        expect(result.status).toBe('succeeded');
        expect(result.revision).toBe(firstRevision);
        expect((await get(result.url!, '/.well-known/health')).status).toBe(200);
        const observed = await provider.observe(context(), target());
        expect(observed?.revision).toBe(firstRevision);
      },
      timeout,
    );

    it(
      'status and history tell what happened',
      async () => {
        const status = await deployer.status(spec());
        outputs.push(status);
        expect(status.exists).toBe(true);
        expect(status.revision).toBe(firstRevision);
        expect(status.healthy).toBe(true);
        const history = await deployer.history(spec());
        outputs.push(history);
        expect(history.map((entry) => `${entry.kind}:${entry.status}`)).toEqual([
          'deploy:succeeded',
          'deploy:succeeded',
          'deploy:rolled-back',
          'rollback:succeeded',
        ]);
        for (const entry of history) expect(entry.phases.length).toBeGreaterThan(0);
      },
      timeout,
    );

    it(
      'down removes the service and every secret Berth owns',
      async () => {
        const result = await deployer.down(spec());
        outputs.push(result);
        expect(result.status).toBe('destroyed');
        expect(await provider.observe(context(), target())).toBeUndefined();
        if (provider.secrets) expect(await provider.secrets.list(context(), target())).toEqual([]);
        const again = await deployer.down(spec());
        expect(again.status).toBe('noop');
      },
      timeout,
    );

    it(
      'a provider lock refuses a second lock on the service until it is released',
      async (test) => {
        if (!provider.lock) test.skip('the provider has no `lock`');
        const lock = (runId: string) =>
          provider.lock!(context(), target(), { operation: 'up', runId: `conformance-${runId}` });
        const first = await lock('first');
        let second: unknown;
        try {
          second = await lock('second').catch((error: unknown) => error);
        } finally {
          await first.release();
        }
        if (!BerthError.isInstance(second)) await (second as ProviderLock).release();
        expect(second).toMatchObject({ code: 'LOCK_HELD', hint: expect.any(String) });
        const again = await lock('again');
        await again.release();
      },
      timeout,
    );

    it(
      'no secret value appears in any event, result, history, state or scanned file',
      async () => {
        const values = [secretValue, ...(generatedValue ? [generatedValue] : [])];
        const texts = [
          JSON.stringify(events),
          JSON.stringify(outputs),
          JSON.stringify(await state.read(`${name}-dev`)),
          ...((await options.filesToScan?.()) ?? []),
        ];
        expect(events.length).toBeGreaterThan(10);
        for (const text of texts) for (const value of values) expect(text.includes(value)).toBe(false);
        expect(outputs.every((output) => typeof output === 'object')).toBe(true);
      },
      timeout,
    );
  });
}
