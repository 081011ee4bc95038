import { createTestContext } from '@berth/core/testing';
import { describe, expect, it } from 'vitest';
import { recordingConnection } from '../../test/recording-connection.js';
import { pendingPhases, runAudited } from './host-audit.js';
import { hostLayout } from './host-layout.js';
import { hostRunLock, runLocks } from './host-run-lock.js';

const target = { service: 'api-dev', name: 'api', environment: 'dev' };
const entry = { operation: 'deploy' as const, service: 'api-dev', revision: '3-abc' };

function setup() {
  const connection = recordingConnection();
  const audit = {
    connection,
    operator: 'alice@laptop',
    lockTtlSeconds: 60,
    pending: pendingPhases(),
    runLocks: runLocks(),
    baseDir: '/opt/berth',
  };
  const scripts = () => connection.commands.map((command) => command.script);
  /** Lock folders taken (`mkdir`) and released (`rm`), in order. */
  const lockEvents = () =>
    scripts().flatMap((script) => {
      const taken = /if mkdir -- (\S+\.lock) /.exec(script)?.[1];
      const released = /then rm -rf -- (\S+\.lock);/.exec(script)?.[1];
      return [...(taken ? [`take ${taken}`] : []), ...(released ? [`release ${released}`] : [])];
    });
  /** The host answers renewals from now on as if the lock were someone else's. */
  const loseTheLock = () => {
    const run = connection.run;
    connection.run = async (command, options) =>
      command.script.includes('&& touch --')
        ? { exitCode: 1, stdout: '', stderr: '' }
        : run(command, options);
  };
  let ran = 0;
  const step = (service = 'api-dev') =>
    runAudited(
      audit,
      createTestContext(),
      hostLayout('/opt/berth', service),
      { ...entry, service },
      async (phases) => {
        ran += 1;
        phases.push({ name: 'start', status: 'succeeded', durationMs: 4 });
      },
    );
  return { connection, audit, scripts, lockEvents, loseTheLock, step, ran: () => ran };
}

describe('the run lock of sshHost()', () => {
  it('is the host lock, owned by the operator and named with the run', async () => {
    const { connection, audit, lockEvents } = setup();
    const lock = await hostRunLock(audit)(createTestContext(), target, { operation: 'up', runId: 'run-1' });
    expect(lockEvents()).toEqual(['take /opt/berth/api-dev/.lock']);
    expect(JSON.parse(connection.commands[0]!.stdin)).toMatchObject({
      owner: 'alice@laptop',
      operation: 'up',
      runId: 'run-1',
      ttlSeconds: 60,
    });
    expect(lock.ttlMs).toBe(60_000);
    await lock.release();
    expect(lockEvents()).toEqual(['take /opt/berth/api-dev/.lock', 'release /opt/berth/api-dev/.lock']);
  });

  it('covers the steps of its run: they renew it instead of locking again, and still record their history', async () => {
    const { connection, audit, scripts, lockEvents, step } = setup();
    const lock = await hostRunLock(audit)(createTestContext(), target, { operation: 'up', runId: 'run-1' });
    const before = scripts().length;
    await step();
    await step();
    expect(lockEvents()).toEqual(['take /opt/berth/api-dev/.lock']);
    expect(
      scripts()
        .slice(before)
        .filter((script) => script.includes('touch -- /opt/berth/api-dev/.lock')),
    ).toHaveLength(2);
    expect(connection.appended().map((line) => line.status)).toEqual(['succeeded', 'succeeded']);

    // Another service, and the same service once the run is over, lock for their step alone.
    await step('web-dev');
    await lock.release();
    await step();
    expect(lockEvents()).toEqual([
      'take /opt/berth/api-dev/.lock',
      'take /opt/berth/web-dev/.lock',
      'release /opt/berth/web-dev/.lock',
      'release /opt/berth/api-dev/.lock',
      'take /opt/berth/api-dev/.lock',
      'release /opt/berth/api-dev/.lock',
    ]);
  });

  it('stops a step whose run lock was taken over, before it changes anything', async () => {
    const { connection, audit, step, loseTheLock, ran } = setup();
    const lock = await hostRunLock(audit)(createTestContext(), target, { operation: 'up', runId: 'run-1' });
    loseTheLock();
    await expect(step()).rejects.toMatchObject({
      code: 'LOCK_HELD',
      message: expect.stringContaining(
        '/opt/berth/api-dev on deploy@host:22 is no longer held by alice@laptop',
      ),
      hint: expect.stringContaining('lockTtlSeconds'),
    });
    await expect(lock.renew!()).rejects.toMatchObject({ code: 'LOCK_HELD' });
    expect(ran()).toBe(0);
    expect(connection.appended()).toEqual([]);
  });
});
