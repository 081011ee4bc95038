import { createTestContext } from '@berth/core/testing';
import { describe, expect, it } from 'vitest';
import { recordingConnection } from '../../test/recording-connection.js';
import { pendingPhases, runAudited } from './host-audit.js';
import { hostLayout } from './host-layout.js';
import { runLocks } from './host-run-lock.js';

const layout = hostLayout('/opt/berth', 'api-dev');
const entry = { operation: 'deploy' as const, service: 'api-dev', revision: '3-abc' };

describe('runAudited', () => {
  it('records the pending phases it takes before its own, in the order asked', async () => {
    const connection = recordingConnection();
    const pending = pendingPhases();
    const settings = { connection, operator: 'alice', lockTtlSeconds: 60, pending, runLocks: runLocks() };
    pending.set('api-dev', { name: 'build', status: 'skipped', durationMs: 0 });
    pending.set('api-dev', { name: 'validation', status: 'succeeded', durationMs: 5 });
    pending.set('api-dev', { name: 'stale', status: 'succeeded', durationMs: 1 });
    await runAudited(
      settings,
      createTestContext(),
      layout,
      entry,
      async (phases) => {
        phases.push({ name: 'start', status: 'succeeded', durationMs: 7 });
      },
      { pendingPhases: ['validation', 'transfer', 'build'] },
    );
    const [line] = connection.appended();
    expect(line).toMatchObject({ ...entry, status: 'succeeded', operator: 'alice' });
    expect(line?.phases?.map((phase) => phase.name)).toEqual(['validation', 'build', 'start']);
    expect(line?.durationMs).toBeGreaterThanOrEqual(5); // the pending phases count in the duration
    expect(pending.take('api-dev', ['stale'])).toEqual([]); // taken phases are forgotten, the others too
  });

  it('keeps the phases of a deferred run for the change that follows, and records a failed one at once', async () => {
    const connection = recordingConnection();
    const pending = pendingPhases();
    const settings = { connection, operator: 'alice', lockTtlSeconds: 60, pending, runLocks: runLocks() };
    await runAudited(
      settings,
      createTestContext(),
      layout,
      entry,
      async (phases) => {
        phases.push({ name: 'build', status: 'succeeded', durationMs: 3 });
      },
      { defer: true },
    );
    expect(connection.appended()).toEqual([]);
    expect(pending.take('api-dev', ['build'])).toEqual([
      { name: 'build', status: 'succeeded', durationMs: 3 },
    ]);

    const failure = runAudited(
      settings,
      createTestContext(),
      layout,
      entry,
      async (phases) => {
        phases.push({ name: 'build', status: 'failed', durationMs: 2 });
        throw new Error('install exited with 7');
      },
      { defer: true },
    );
    await expect(failure).rejects.toThrow('install exited with 7');
    expect(connection.appended()).toEqual([
      expect.objectContaining({
        status: 'failed',
        phases: [{ name: 'build', status: 'failed', durationMs: 2 }],
        error: { code: 'DEPLOY_FAILED', message: 'install exited with 7' },
      }),
    ]);
  });
});
