import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import type { Provider } from '../provider/provider.js';
import { memoryStateStore } from '../state/memory-state-store.js';
import { createFakeClock } from '../testing/fake-clock.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';
import type { Hook } from './hooks.js';

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function cloud(options: Parameters<typeof memoryProvider>[0] = {}) {
  const provider = memoryProvider(options);
  providers.push(provider);
  return provider;
}

const spec = (env: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: { ref: 'registry.test/app@sha256:1111' },
  env,
  secrets: { KEY: { generate: 'api-key' as const }, TOKEN: { value: 'token-value-123456' } },
  health: { timeoutMs: 3_000, intervalMs: 50, maxIntervalMs: 100 },
  ...extra,
});

describe('the target is the truth (issue 11, measured on memoryProvider)', () => {
  it('a fresh state store plans noop and up is noop: no new revision, no changed secret', async () => {
    const provider = cloud();
    const first = await createDeployer({ provider, state: memoryStateStore() }).up(spec());
    expect(first.status).toBe('succeeded');
    expect(first.revision).toMatch(/^0001-/);
    const fresh = createDeployer({ provider, state: memoryStateStore() });
    const plan = await fresh.plan(spec());
    expect(plan).toMatchObject({ action: 'noop', changes: [] });
    const again = await fresh.up(spec());
    expect(again.status).toBe('noop');
    expect(again.revision).toBe(first.revision);
  });

  it('a throwing after-record hook: the result keeps the live URL and revision, history says failed', async () => {
    const provider = cloud();
    const state = memoryStateStore();
    const hook: Hook = {
      name: 'announce',
      after: 'record',
      run: async () => {
        throw new Error('announcement service down');
      },
    };
    const result = await createDeployer({ provider, state, hooks: [hook] }).up(spec());
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HOOK_FAILED');
    expect(result.url).toMatch(/^http:/);
    expect(result.revision).toMatch(/^0001-/);
    const history = (await state.read('app-dev'))?.history ?? [];
    expect(history.at(-1)).toMatchObject({ status: 'failed', error: { code: 'HOOK_FAILED' } });
    expect((await state.read('app-dev'))?.current).toMatchObject({
      revision: result.revision,
      verified: true,
    });
  });

  it('a failed rollback records the revision that really serves, and rollback() then finds the good one', async () => {
    const provider = cloud({ faults: [{ method: 'restoreRevision', times: 5 }] });
    const state = memoryStateStore();
    const deployer = createDeployer({ provider, state });
    const good = await deployer.up(spec());
    const bad = await deployer.up(
      spec({ BERTH_TEST_FAIL_HEALTH: '1' }, { health: { timeoutMs: 300, intervalMs: 50 } }),
    );
    expect(bad.status).toBe('rollback-failed');
    const serving = (
      await provider.observe({} as never, { service: 'app-dev', name: 'app', environment: 'dev' })
    )?.revision;
    expect(bad.revision).toBe(serving);
    expect(serving).not.toBe(good.revision);
    expect((await state.read('app-dev'))?.current).toMatchObject({ revision: serving, verified: false });
    provider.cloud.faults.length = 0;
    const manual = await deployer.rollback(spec());
    expect(manual.status).toBe('succeeded');
    expect(manual.revision).toBe(good.revision);
  });

  it('an error result carries a redacted summary of its cause chain', async () => {
    const secret = 'token-value-123456';
    const provider = cloud({
      faults: [
        {
          method: 'apply',
          error: new BerthError('PROVIDER_REQUEST_FAILED', 'apply failed; see `cause`', {
            cause: Object.assign(new Error(`upstream refused token ${secret}`), { code: 'EREFUSED' }),
          }),
        },
      ],
    });
    const result = await createDeployer({ provider, state: memoryStateStore() }).up(spec());
    expect(result.error?.cause).toEqual([
      { name: 'Error', message: 'upstream refused token [redacted]', code: 'EREFUSED' },
    ]);
    expect(JSON.stringify(result)).not.toContain(secret);
  });

  it('plan() rejects with a cause chain that carries no secret value', async () => {
    const secret = 'token-value-123456';
    const base = cloud();
    const provider: Provider = {
      ...base,
      observe: async () => {
        throw new BerthError('PROVIDER_REQUEST_FAILED', 'observe failed', {
          cause: new Error(`bad credentials ${secret}`),
        });
      },
    };
    const error = (await createDeployer({ provider, state: memoryStateStore() })
      .plan(spec())
      .catch((caught: unknown) => caught)) as BerthError;
    expect(error.code).toBe('PROVIDER_REQUEST_FAILED');
    expect((error.cause as Error).message).toBe('bad credentials [redacted]');
    expect(JSON.stringify(error.toJSON())).not.toContain(secret);
  });

  it('registry credentials from imageTarget are redacted like secrets', async () => {
    const password = 'registry-password-0987';
    const base = cloud();
    const events: unknown[] = [];
    const provider: Provider = {
      ...base,
      imageTarget: async () => ({
        registry: '127.0.0.1:5000',
        repository: 'x/app',
        credentials: { username: 'u', password },
      }),
      apply: async (context) => {
        context.log('info', `pushing as u:${password}`);
        throw new BerthError('PROVIDER_REQUEST_FAILED', `the registry refused u:${password}`);
      },
    };
    const result = await createDeployer({
      provider,
      state: memoryStateStore(),
      onEvent: (event) => events.push(event),
    }).up(spec());
    expect(result.status).toBe('failed');
    expect(result.error?.message).toBe('the registry refused u:[redacted]');
    expect(JSON.stringify(events)).not.toContain(password);
    expect(JSON.stringify(result)).not.toContain(password);
  });

  it('a busy service is waited for, then fails with a retryable PROVIDER_BUSY', async () => {
    const base = cloud();
    const clock = createFakeClock();
    const provider: Provider = {
      ...base,
      observe: async (context, target) => ({
        ...((await base.observe(context, target)) ?? {
          service: target.service,
          env: {},
          secrets: {},
          ready: true,
        }),
        busy: { operation: 'an update started by the console' },
      }),
    };
    const result = await createDeployer({ provider, state: memoryStateStore(), clock }).up(spec());
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'PROVIDER_BUSY', retryable: true });
    expect(result.error?.message).toContain('an update started by the console');
    expect(clock.sleeps.length).toBeGreaterThan(3);
    expect(base.cloud.calls.map((call) => call.method)).not.toContain('apply');
  });

  it('a provider option is part of the revision hash and planned as provider.<name>', async () => {
    const one = cloud({ desiredOptions: () => ({ serviceAccount: 'one@x' }) });
    const state = memoryStateStore();
    const first = await createDeployer({ provider: one, state }).up(spec());
    const two = Object.assign(Object.create(one) as typeof one, {
      desiredOptions: () => ({ serviceAccount: 'two@x' }),
    });
    const plan = await createDeployer({ provider: two, state }).plan(spec());
    expect(plan.changes).toEqual([
      { path: 'provider.serviceAccount', kind: 'change', before: 'one@x', after: 'two@x' },
    ]);
    const second = await createDeployer({ provider: two, state }).up(spec());
    expect(second.status).toBe('succeeded');
    expect(second.revision?.slice(5)).not.toBe(first.revision?.slice(5));
  });

  it('an observed field the provider cannot read is unknown, never a change', async () => {
    const base = cloud();
    const provider: Provider = {
      ...base,
      observe: async (context, target) => {
        const observed = await base.observe(context, target);
        if (!observed) return undefined;
        const { port: _port, public: _public, ...rest } = observed;
        return { ...rest, port: 'unknown' };
      },
    };
    const state = memoryStateStore();
    await createDeployer({ provider, state }).up(spec());
    const plan = await createDeployer({ provider, state }).plan(spec());
    expect(plan).toMatchObject({ action: 'noop', changes: [], drift: [] });
  });

  it('DesiredService carries the spec health settings for native probes', async () => {
    const provider = cloud();
    await createDeployer({ provider, state: memoryStateStore() }).up(
      spec(
        {},
        {
          health: {
            path: '/healthz',
            timeoutMs: 3_000,
            intervalMs: 50,
            maxIntervalMs: 100,
            successThreshold: 2,
          },
        },
      ),
    );
    const revision = [...provider.cloud.services.get('app-dev')!.revisions.values()][0]!;
    expect(revision.desired.health).toEqual({
      path: '/healthz',
      port: 8000,
      intervalMs: 50,
      maxIntervalMs: 100,
      timeoutMs: 3_000,
      attemptTimeoutMs: 5_000,
      successThreshold: 2,
    });
  });
});
