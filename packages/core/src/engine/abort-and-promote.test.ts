import { afterEach, describe, expect, it } from 'vitest';
import { memoryStateStore } from '../state/memory-state-store.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';
import { deploy } from './deploy.js';

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function setup() {
  const provider = memoryProvider();
  providers.push(provider);
  const state = memoryStateStore();
  return { provider, state, deployer: createDeployer({ provider, state }) };
}

const spec = (env: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: { ref: 'registry.test/app@sha256:1111' },
  env,
  health: { timeoutMs: 20_000, intervalMs: 50, maxIntervalMs: 100 },
  ...extra,
});

describe('abort and timeout', () => {
  it('an aborted run stops at a safe point, is recorded, and the next up converges', async () => {
    const { deployer, state } = setup();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const slow = spec({ BERTH_TEST_READY_AFTER_MS: '60000' });
    const result = await deployer.up(slow, { signal: controller.signal });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('DEPLOY_ABORTED');
    expect(result.phases.at(-1)).toMatchObject({ name: 'verify', status: 'failed' });
    const recorded = await state.read('app-dev');
    expect(recorded?.history.at(-1)).toMatchObject({ status: 'failed', error: { code: 'DEPLOY_ABORTED' } });
    expect(recorded?.current).toMatchObject({ verified: false });
    const next = await deployer.up(spec());
    expect(next.status).toBe('succeeded');
  });

  it('timeoutMs stops the run with DEPLOY_TIMEOUT', async () => {
    const { deployer } = setup();
    const result = await deployer.up(spec({ BERTH_TEST_READY_AFTER_MS: '60000' }), { timeoutMs: 300 });
    expect(result.error).toMatchObject({
      code: 'DEPLOY_TIMEOUT',
      hint: expect.stringContaining('timeoutMs'),
    });
  });

  it('an unchanged service whose last run was never verified is verified in place, not redeployed', async () => {
    const { deployer, provider } = setup();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await deployer.up(spec({ BERTH_TEST_READY_AFTER_MS: '500' }), { signal: controller.signal });
    const applies = provider.cloud.calls.filter((call) => call.method === 'apply').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await deployer.up(spec({ BERTH_TEST_READY_AFTER_MS: '500' }));
    expect(result.status).toBe('succeeded');
    expect(provider.cloud.calls.filter((call) => call.method === 'apply').length).toBe(applies);
    expect((await deployer.up(spec({ BERTH_TEST_READY_AFTER_MS: '500' }))).status).toBe('noop');
  });

  it('deploy() is the one-shot form of up: it runs the hooks and closes the provider', async () => {
    const provider = memoryProvider();
    providers.push(provider);
    let closed = 0;
    const close = provider.close.bind(provider);
    provider.close = async () => {
      closed += 1;
      await close();
    };
    const seen: string[] = [];
    const result = await deploy(spec(), {
      provider,
      state: memoryStateStore(),
      hooks: [{ name: 'after-verify', after: 'verify', run: ({ facts }) => void seen.push(facts.url ?? '') }],
    });
    expect(result.status).toBe('succeeded');
    expect(seen).toEqual([result.url]);
    expect(closed).toBe(1);
  });

  it('deploy() closes the provider when the run fails, and keeps it open when asked', async () => {
    const failing = memoryProvider();
    providers.push(failing);
    let closed = 0;
    const close = failing.close.bind(failing);
    failing.close = async () => {
      closed += 1;
      await close();
    };
    const broken = await deploy({ ...spec(), port: -1 } as never, {
      provider: failing,
      state: memoryStateStore(),
    });
    expect(broken.status).toBe('failed');
    expect(broken.error?.code).toBe('SPEC_INVALID');
    expect(closed).toBe(1);

    const kept = memoryProvider();
    providers.push(kept);
    const state = memoryStateStore();
    expect((await deploy(spec(), { provider: kept, state, closeProvider: false })).status).toBe('succeeded');
    // Still usable: a second run on the same provider object.
    expect((await deploy(spec(), { provider: kept, state, closeProvider: false })).status).toBe('noop');
  });
});

describe('promote', () => {
  it('deploys to prod the exact digest verified in dev', async () => {
    const provider = memoryProvider();
    providers.push(provider);
    const events: { service: string; type: string }[] = [];
    const deployer = createDeployer({
      provider,
      state: memoryStateStore(),
      onEvent: (event) => events.push(event),
    });
    const dev = await deployer.up(spec());
    const prod = await deployer.promote(spec(), { from: 'dev', to: 'prod' });
    expect(prod.status).toBe('succeeded');
    expect(prod.service).toBe('app-prod');
    expect(prod.image?.digest).toBe(dev.image?.digest);
    const history = await deployer.history({ ...spec(), environment: 'prod' });
    expect(history.at(-1)).toMatchObject({ kind: 'promotion', promotedFrom: 'dev', verified: true });
    const promotionEvents = events.filter((event) => event.type === 'phase-start').slice(-5);
    expect(new Set(promotionEvents.map((event) => event.service))).toEqual(new Set(['app-prod']));
  });

  it('refuses when the source has nothing verified, or is running something else', async () => {
    const { deployer } = setup();
    const none = await deployer.promote(spec(), { from: 'dev', to: 'prod' });
    expect(none.error).toMatchObject({
      code: 'PROMOTION_SOURCE_NOT_HEALTHY',
      hint: expect.stringContaining('verify'),
    });
    await deployer.up(spec());
    await deployer.up(
      spec(
        { BERTH_TEST_FAIL_HEALTH: '1' },
        { rollback: 'never', health: { timeoutMs: 300, intervalMs: 50 } },
      ),
    );
    const unhealthy = await deployer.promote(spec(), { from: 'dev', to: 'prod' });
    expect(unhealthy.error?.code).toBe('PROMOTION_SOURCE_NOT_HEALTHY');
    expect((await deployer.status({ ...spec(), environment: 'prod' })).exists).toBe(false);
  });
});
