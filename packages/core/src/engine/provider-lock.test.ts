import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import type { ProviderLock } from '../provider/provider.js';
import { memoryStateStore } from '../state/memory-state-store.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { spyProvider } from '../testing/spy-provider.js';
import { createDeployer } from './create-deployer.js';
import type { BerthEvent } from './events.js';
import type { Hook } from './hooks.js';

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function cloud(options: Parameters<typeof memoryProvider>[0] = {}) {
  const provider = memoryProvider({ locks: true, ...options });
  providers.push(provider);
  return provider;
}

/**
 * An operator: its own state store and deployer on a shared provider. `calls` interleaves the
 * provider calls with the end of each phase (`phase:<name>`), in the order they happened.
 */
function operator(provider: ReturnType<typeof memoryProvider>, hooks: Hook[] = [], lockTtlMs?: number) {
  const spied = spyProvider(provider);
  const state = memoryStateStore();
  const events: BerthEvent[] = [];
  const deployer = createDeployer({
    provider: spied.provider,
    state,
    hooks,
    ...(lockTtlMs ? { lockTtlMs } : {}),
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'phase-end') spied.calls.push(`phase:${event.phase}`);
    },
  });
  return { deployer, state, events, calls: spied.calls };
}

/** A hook that stops the run at its point until `release()` is called; `reached` tells when it got there. */
function pause(name: string, at: Pick<Hook, 'before' | 'after'>) {
  let release = () => {};
  let arrive = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const reached = new Promise<void>((resolve) => {
    arrive = resolve;
  });
  const hook: Hook = {
    name,
    ...at,
    run: async () => {
      arrive();
      await gate;
    },
  };
  return { hook, reached, release };
}

const spec = (env: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: { ref: 'registry.test/app@sha256:1111' },
  env,
  health: { timeoutMs: 1_000, intervalMs: 50, maxIntervalMs: 100 },
  ...extra,
});
const failing = () => spec({ BERTH_TEST_FAIL_HEALTH: '1' });

const lockCalls = (calls: string[]) => calls.filter((call) => call.startsWith('lock'));

describe('the provider lock', () => {
  it('is taken in the lock phase before any other provider call and released after the record phase', async () => {
    const provider = cloud();
    const alice = operator(provider);
    const result = await alice.deployer.up(spec());
    expect(result.status).toBe('succeeded');
    expect(alice.calls.slice(0, 3)).toEqual(['phase:validate', 'lock', 'phase:lock']);
    expect(alice.calls.slice(-2)).toEqual(['phase:record', 'lock.release']);
    expect(alice.calls.indexOf('lock')).toBeLessThan(alice.calls.indexOf('apply'));
    expect(provider.cloud.locks.size).toBe(0);
  });

  it('is told the operation and the run id', async () => {
    const provider = cloud();
    const seen: unknown[] = [];
    const original = provider.lock!;
    provider.lock = (context, target, run) => {
      seen.push({ service: target.service, ...run });
      return original(context, target, run);
    };
    const alice = operator(provider);
    const up = await alice.deployer.up(spec());
    await alice.deployer.up(spec({ TWO: '2' }));
    const rollback = await alice.deployer.rollback(spec());
    const down = await alice.deployer.down(spec());
    expect(rollback.status).toBe('succeeded');
    expect(down.status).toBe('destroyed');
    expect(seen).toEqual([
      { service: 'app-dev', operation: 'up', runId: up.runId },
      { service: 'app-dev', operation: 'up', runId: expect.any(String) },
      { service: 'app-dev', operation: 'rollback', runId: rollback.runId },
      { service: 'app-dev', operation: 'down', runId: expect.any(String) },
    ]);
  });

  it('is held through a failed verification and its rollback, then released', async () => {
    const provider = cloud();
    const alice = operator(provider);
    await alice.deployer.up(spec());
    alice.calls.length = 0;
    const result = await alice.deployer.up(failing());
    expect(result.status).toBe('rolled-back');
    expect(lockCalls(alice.calls)).toEqual(['lock', 'lock.release']);
    const order = alice.calls.filter((call) =>
      ['lock', 'apply', 'restoreRevision', 'phase:rollback', 'phase:record', 'lock.release'].includes(call),
    );
    expect(order).toEqual([
      'lock',
      'apply',
      'restoreRevision',
      'phase:rollback',
      'phase:record',
      'lock.release',
    ]);
    expect(provider.cloud.locks.size).toBe(0);
  });

  it('is released when a provider call throws, in up and in down', async () => {
    const provider = cloud({
      faults: [
        { method: 'apply', error: new Error('the platform fell over') },
        { method: 'destroy', error: new Error('cannot delete') },
      ],
    });
    const alice = operator(provider);
    const up = await alice.deployer.up(spec());
    expect(up).toMatchObject({ status: 'failed', error: { message: 'the platform fell over' } });
    expect(lockCalls(alice.calls)).toEqual(['lock', 'lock.release']);
    expect(provider.cloud.locks.size).toBe(0);

    await alice.deployer.up(spec());
    alice.calls.length = 0;
    const down = await alice.deployer.down(spec());
    expect(down).toMatchObject({ status: 'failed', error: { message: 'cannot delete' } });
    expect(lockCalls(alice.calls)).toEqual(['lock', 'lock.release']);
    expect(provider.cloud.locks.size).toBe(0);
  });

  it('is released with the state lock when a hook after the lock phase fails', async () => {
    const provider = cloud();
    const failingHook: Hook = {
      name: 'audit',
      after: 'lock',
      run: () => {
        throw new Error('audit service down');
      },
    };
    const alice = operator(provider, [failingHook]);
    const result = await alice.deployer.up(spec());
    expect(result.error?.code).toBe('HOOK_FAILED');
    expect(lockCalls(alice.calls)).toEqual(['lock', 'lock.release']);
    expect(alice.calls).not.toContain('apply');
    // The state lock went too: a run without the hook is not refused.
    const bob = createDeployer({ provider, state: alice.state });
    expect((await bob.up(spec())).status).toBe('succeeded');
  });

  it('refused: the run fails with LOCK_HELD before anything changes, records nothing, and frees the state lock', async () => {
    const provider = cloud();
    const paused = pause('between-apply-and-verify', { after: 'deploy' });
    const alice = operator(provider, [paused.hook]);
    const bob = operator(provider);
    const first = alice.deployer.up(spec());
    await paused.reached;
    const aliceRun = [...provider.cloud.locks.values()][0]!.runId;

    const refused = await bob.deployer.up(spec({ BOB: '1' }));
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({
      code: 'LOCK_HELD',
      retryable: true,
      message: expect.stringContaining(`run ${aliceRun} (up)`),
      hint: 'Wait for that run to finish.',
    });
    expect(refused.phases.map((phase) => `${phase.name}:${phase.status}`)).toEqual([
      'validate:succeeded',
      'lock:failed',
    ]);
    expect(bob.calls).toEqual(['phase:validate', 'lock', 'phase:lock']);
    expect(await bob.state.read('app-dev')).toBeUndefined();
    // `down` is refused the same way, and leaves the service running.
    const down = await bob.deployer.down(spec());
    expect(down).toMatchObject({ status: 'failed', error: { code: 'LOCK_HELD' } });
    expect(provider.cloud.services.has('app-dev')).toBe(true);
    // Bob's state lock was released: a retry is refused by the provider lock again, not by his own.
    const retry = await bob.deployer.up(spec({ BOB: '1' }));
    expect(retry.error?.message).toContain(`run ${aliceRun}`);

    paused.release();
    expect((await first).status).toBe('succeeded');
    expect(provider.cloud.calls.filter((call) => call.method === 'apply')).toHaveLength(1);
    const after = await bob.deployer.up(spec({ BOB: '1' }));
    expect(after.status).toBe('succeeded');
    expect((await bob.state.read('app-dev'))?.history.map((entry) => entry.status)).toEqual(['succeeded']);
  });

  it('a promotion asks for it as promote, for the target environment', async () => {
    const provider = cloud();
    const seen: string[] = [];
    const original = provider.lock!;
    provider.lock = (context, target, run) => {
      seen.push(`${run.operation} ${target.service}`);
      return original(context, target, run);
    };
    const alice = operator(provider);
    await alice.deployer.up(spec());
    const promoted = await alice.deployer.promote(spec(), { from: 'dev', to: 'prod' });
    expect(promoted.status).toBe('succeeded');
    expect(seen).toEqual(['up app-dev', 'promote app-prod']);
  });

  it('is not taken by plan and status, which only read', async () => {
    const provider = cloud();
    const alice = operator(provider);
    await alice.deployer.up(spec());
    alice.calls.length = 0;
    await alice.deployer.plan(spec({ TWO: '2' }));
    await alice.deployer.status(spec());
    expect(lockCalls(alice.calls)).toEqual([]);
  });

  it('is renewed on the heartbeat (a third of its own TTL when shorter), and a failed renewal is a warning', async () => {
    const provider = memoryProvider();
    providers.push(provider);
    const renewals: number[] = [];
    provider.lock = async (): Promise<ProviderLock> => ({
      ttlMs: 3_000,
      renew: async () => {
        renewals.push(Date.now());
        throw new BerthError('LOCK_HELD', 'the lock was taken over');
      },
      release: async () => {},
    });
    const waiting: Hook = {
      name: 'slow',
      after: 'deploy',
      run: () => new Promise((resolve) => setTimeout(resolve, 1_200)),
    };
    const alice = operator(provider, [waiting]);
    const result = await alice.deployer.up(spec());
    expect(result.status).toBe('succeeded');
    expect(renewals.length).toBeGreaterThanOrEqual(1);
    const warnings = alice.events.flatMap((event) =>
      event.type === 'log' && event.level === 'warn' ? [event.message] : [],
    );
    expect(warnings).toContain('The provider lock could not be renewed: the lock was taken over');
  });
});
