import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import { memoryStateStore } from '../state/memory-state-store.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';
import type { BerthEvent } from './events.js';
import type { Hook } from './hooks.js';

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function setup(options: Parameters<typeof memoryProvider>[0] = {}, hooks: Hook[] = []) {
  const provider = memoryProvider(options);
  providers.push(provider);
  const state = memoryStateStore();
  const events: BerthEvent[] = [];
  const deployer = createDeployer({ provider, state, hooks, onEvent: (event) => events.push(event) });
  return { provider, state, events, deployer };
}

const spec = (env: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: { ref: 'registry.test/app@sha256:1111' },
  env,
  health: { timeoutMs: 1_000, intervalMs: 50, maxIntervalMs: 100 },
  ...extra,
});
const failing = (extra: Record<string, unknown> = {}) => spec({ BERTH_TEST_FAIL_HEALTH: '1' }, extra);
const healthOf = async (url: string) => (await fetch(new URL('/.well-known/health', url))).status;

describe('rollback policy', () => {
  it('auto: restores the last verified revision and verifies it', async () => {
    const { deployer, events } = setup();
    const good = await deployer.up(spec());
    const bad = await deployer.up(failing());
    expect(bad.status).toBe('rolled-back');
    expect(bad.revision).toBe(good.revision);
    expect(bad.rollback).toMatchObject({ attempted: true, status: 'succeeded', to: good.revision });
    expect(bad.rollback?.health?.healthy).toBe(true);
    expect(bad.health?.healthy).toBe(false);
    expect(await healthOf(bad.url!)).toBe(200);
    const types = events.map((event) => event.type);
    expect(types.indexOf('rollback-start')).toBeLessThan(types.indexOf('rollback-end'));
    const status = await deployer.status(spec());
    expect(status).toMatchObject({ revision: good.revision, healthy: true, drift: [] });
  });

  it('never: keeps the failed revision and reports failure; the next good deploy converges', async () => {
    const { deployer, provider, state } = setup();
    await deployer.up(spec());
    const bad = await deployer.up(failing({ rollback: 'never' }));
    expect(bad.status).toBe('failed');
    expect(bad.rollback).toBeUndefined();
    const live = [...provider.cloud.services.values()][0]!;
    expect(live.traffic[0]?.revision).not.toBe(undefined);
    expect((await state.read('app-dev'))?.current).toMatchObject({ verified: false });
    const fixed = await deployer.up(spec({ FIXED: '1' }));
    expect(fixed.status).toBe('succeeded');
  });

  it('a first deploy that fails has nothing to roll back to and says so', async () => {
    const { deployer } = setup();
    const result = await deployer.up(failing());
    expect(result.status).toBe('failed');
    expect(result.rollback).toEqual({
      attempted: false,
      status: 'skipped',
      reason: 'no earlier revision passed verification',
    });
  });

  it('a rollback that fails is reported as rollback-failed, never as a success', async () => {
    const { deployer, provider } = setup();
    await deployer.up(spec());
    provider.cloud.faults.push({
      method: 'restoreRevision',
      error: new BerthError('PROVIDER_UNAVAILABLE', 'restore broke'),
    });
    const result = await deployer.up(failing());
    expect(result.status).toBe('rollback-failed');
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(result.rollback).toMatchObject({ status: 'failed', error: { code: 'ROLLBACK_FAILED' } });
  });

  it('a failure while applying also rolls back', async () => {
    const { deployer, provider } = setup();
    const good = await deployer.up(spec());
    provider.cloud.faults.push({ method: 'apply', nth: 2 });
    const result = await deployer.up(spec({ NEXT: '1' }));
    expect(result.status).toBe('rolled-back');
    expect(result.error?.code).toBe('PROVIDER_UNAVAILABLE');
    expect(result.revision).toBe(good.revision);
  });

  it('verify before traffic: a failing candidate never serves users', async () => {
    const { deployer, provider } = setup({ verifyBeforeTraffic: true });
    const good = await deployer.up(spec());
    const service = provider.cloud.services.get('app-dev')!;
    const servedRevisions = new Set<string>();
    const watcher = setInterval(() => servedRevisions.add(service.traffic[0]!.revision), 5);
    const result = await deployer.up(failing());
    clearInterval(watcher);
    expect(result.status).toBe('rolled-back');
    expect(servedRevisions).toEqual(new Set([good.revision]));
    expect(provider.cloud.calls.filter((call) => call.method === 'shiftTraffic')).toHaveLength(0);
    const next = await deployer.up(spec({ V: '2' }));
    expect(next.phases.find((phase) => phase.name === 'traffic')?.status).toBe('succeeded');
    expect(service.traffic).toEqual([{ revision: next.revision, percent: 100 }]);
  });

  it('a revision that crashes after becoming healthy fails verification fast and is rolled back', async () => {
    const { deployer } = setup();
    const good = await deployer.up(spec());
    const crashing = spec(
      { BERTH_TEST_CRASH_AFTER_SECONDS: '0.3' },
      { health: { timeoutMs: 30_000, intervalMs: 100, maxIntervalMs: 100, successThreshold: 20 } },
    );
    const result = await deployer.up(crashing);
    expect(result.status).toBe('rolled-back');
    expect(result.health?.reason).toBe('process-exited: the revision crashed');
    expect(result.health?.attempts.some((attempt) => attempt.ok)).toBe(true);
    expect(result.revision).toBe(good.revision);
  });

  it('manual rollback goes to the previous healthy revision by default, or to a named one', async () => {
    const { deployer } = setup();
    const one = await deployer.up(spec({ V: '1' }));
    const two = await deployer.up(spec({ V: '2' }));
    await deployer.up(spec({ V: '3' }));
    const back = await deployer.rollback(spec());
    expect(back).toMatchObject({ status: 'succeeded', revision: two.revision });
    const named = await deployer.rollback(spec(), { to: one.revision! });
    expect(named).toMatchObject({ status: 'succeeded', revision: one.revision });
    expect(await fetch(new URL('/env/V', named.url)).then((response) => response.text())).toBe('1');
    const unknown = await deployer.rollback(spec(), { to: '9999-zzzzz' });
    expect(unknown.error?.code).toBe('REVISION_NOT_FOUND');
    const history = await deployer.history(spec());
    expect(history.map((entry) => entry.kind)).toEqual([
      'deploy',
      'deploy',
      'deploy',
      'rollback',
      'rollback',
    ]);
    expect(history[3]).toMatchObject({ rolledBackFrom: expect.any(String), verified: true });
  });

  it('hooks: a failing after-verify hook with abort policy triggers the rollback; continue only warns', async () => {
    const register: Hook = {
      name: 'register',
      after: 'verify',
      run: () => Promise.reject(new Error('registry down')),
    };
    const strict = setup({}, [register]);
    await strict.provider.cloud.calls.splice(0);
    const first = await strict.deployer.up(spec());
    expect(first.status).toBe('failed');
    expect(first.error?.code).toBe('HOOK_FAILED');
    const lenient = setup({}, [{ ...register, onFailure: 'continue' }]);
    const ok = await lenient.deployer.up(spec());
    expect(ok.status).toBe('succeeded');
    expect(lenient.events).toContainEqual(
      expect.objectContaining({
        type: 'log',
        level: 'warn',
        message: expect.stringContaining('registry down'),
      }),
    );
    const seen: string[] = [];
    const facts = setup({}, [
      { name: 'facts', after: 'verify', run: (context) => void seen.push(context.facts.url ?? '') },
    ]);
    const result = await facts.deployer.up(spec());
    expect(seen).toEqual([result.url]);
  });
});
