import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { memoryStateStore } from '../state/memory-state-store.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';
import type { BerthEvent } from './events.js';

const spec = { name: 'app', image: { ref: 'memory/app@sha256:1' }, health: { intervalMs: 20 } };
const crashed = {
  host: 'other-host',
  user: 'ci',
  pid: 4242,
  runId: 'crashed-run',
  startedAt: '2026-01-01T00:00:00.000Z',
};

describe('the engine and the state lock', () => {
  it('takes over the lock of a crashed run once its TTL passed, and records the takeover', async () => {
    const state = memoryStateStore();
    const provider = memoryProvider();
    const events: BerthEvent[] = [];
    try {
      await state.lock('app-dev', { owner: crashed, ttlMs: 1_000, now: Date.now() - 60_000 });
      const deployer = createDeployer({ provider, state, onEvent: (event) => events.push(event) });
      const result = await deployer.up(spec);
      expect(result.status).toBe('succeeded');
      const takeover = events.find((event) => event.type === 'lock-takeover');
      expect(takeover).toMatchObject({ previousOwner: crashed, reason: 'expired' });
      expect((await state.read('app-dev'))?.history.at(-1)?.lockTakeover).toMatchObject({
        previousOwner: crashed,
        reason: 'expired',
      });
      // The next run finds no lock to take over.
      expect((await deployer.up(spec)).status).toBe('noop');
      expect(events.filter((event) => event.type === 'lock-takeover')).toHaveLength(1);
    } finally {
      await provider.close();
    }
  });

  it('gives LOCK_HELD, retryable, with the expiry, while the lock is live', async () => {
    const state = memoryStateStore();
    const provider = memoryProvider();
    try {
      const now = Date.now();
      const held = await state.lock('app-dev', {
        owner: { ...crashed, host: hostname(), pid: process.pid },
        ttlMs: 60_000,
        now,
      });
      const result = await createDeployer({ provider, state }).up(spec);
      expect(result.status).toBe('failed');
      expect(result.error).toMatchObject({
        code: 'LOCK_HELD',
        retryable: true,
        details: { expiresAt: new Date(now + 60_000).toISOString() },
      });
      expect(result.error?.message).toContain('ci@');
      await held.release();
    } finally {
      await provider.close();
    }
  });

  it('stops a run that lost its lock, which then writes nothing over the new holder', async () => {
    const state = memoryStateStore();
    const provider = memoryProvider();
    try {
      const before = await createDeployer({ provider, state }).up(spec);
      expect(before.status).toBe('succeeded');
      const historyBefore = (await state.read('app-dev'))!.history.map((entry) => entry.id);
      let thief: Awaited<ReturnType<typeof state.lock>> | undefined;
      const deployer = createDeployer({
        provider,
        state,
        lockTtlMs: 3_000,
        hooks: [
          {
            name: 'another run takes the lock over',
            after: 'plan',
            run: async () => {
              thief = await state.lock('app-dev', {
                owner: crashed,
                ttlMs: 60_000,
                now: Date.now(),
                takeover: true,
              });
              // Long enough for the run's heartbeat (every second here) to find the lock lost.
              await new Promise((resolve) => setTimeout(resolve, 1_500));
            },
          },
        ],
      });
      const result = await deployer.up({ ...spec, env: { CHANGED: '1' } });
      expect(result.status).not.toBe('succeeded');
      expect(result.error?.code).toBe('LOCK_LOST');
      expect(result.phases.map((phase) => phase.name)).not.toContain('deploy');
      expect((await state.read('app-dev'))!.history.map((entry) => entry.id)).toEqual(historyBefore);
      await thief?.release();
    } finally {
      await provider.close();
    }
  });
});
