import { describe, expect, it } from 'vitest';
import { isSetupFailure, parseUnitStart, parseUnitStatus, startOf, unitLiveness } from './systemd-units.js';

const show = (fields: Record<string, string | number>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n');

describe('parseUnitStatus', () => {
  it('reads the fields systemctl show prints', () => {
    expect(
      parseUnitStatus(
        show({
          LoadState: 'loaded',
          ActiveState: 'active',
          SubState: 'running',
          Result: 'success',
          NRestarts: 0,
          MainPID: 42,
          ExecMainStatus: 0,
          InvocationID: 'abc',
        }),
      ),
    ).toEqual({
      invocationId: 'abc',
      loadState: 'loaded',
      activeState: 'active',
      subState: 'running',
      result: 'success',
      restarts: 0,
      mainPid: 42,
      exitStatus: 0,
    });
  });

  it('describes a unit that does not exist', () => {
    expect(parseUnitStatus('')).toMatchObject({
      loadState: 'not-found',
      activeState: 'inactive',
      restarts: 0,
    });
  });
});

describe('unitLiveness', () => {
  const running = parseUnitStatus(show({ ActiveState: 'active', SubState: 'running', NRestarts: 0 }));

  it('is alive when active, running and never restarted', () => {
    expect(unitLiveness(running, '')).toEqual({ alive: true });
  });

  it('reports restarts by systemd with the exit status and the log tail', () => {
    const crashed = parseUnitStatus(
      show({ ActiveState: 'activating', SubState: 'auto-restart', NRestarts: 2, ExecMainStatus: 1 }),
    );
    const liveness = unitLiveness(crashed, 'Error: listen EADDRINUSE\n');
    expect(liveness.alive).toBe(false);
    expect(liveness.reason).toMatch(/restarted it 2 time\(s\) \(last exit status 1\)/);
    expect(liveness.reason).toMatch(/EADDRINUSE/);
  });

  it('reports a failed unit', () => {
    const failed = parseUnitStatus(
      show({ ActiveState: 'failed', SubState: 'failed', Result: 'exit-code', ExecMainStatus: 3 }),
    );
    expect(unitLiveness(failed, '').reason).toBe(
      'the unit is failed/failed (result exit-code, exit status 3)',
    );
  });
});

describe('unitLiveness since a start (the baseline taken at the switch)', () => {
  const start = parseUnitStart(
    show({
      Revision: 'r2',
      RestartsBefore: 3,
      Since: '1796124388.652139',
      RestartExit: 0,
      InvocationID: 'i2',
    }),
  );

  it('reads the start record', () => {
    expect(start).toEqual({
      revision: 'r2',
      restarts: 3,
      invocationId: 'i2',
      invocationBefore: '',
      since: '1796124388.652139',
      restartExit: 0,
    });
    expect(parseUnitStart(undefined)).toBeUndefined();
    expect(parseUnitStart('RestartsBefore=1')).toBeUndefined();
    // A host whose date has no %N: the record stays, without a journal bound.
    expect(parseUnitStart(show({ Revision: 'r2', Since: '1796124388.%6N' }))?.since).toBeUndefined();
  });

  it('does not hold restarts from before the start against the revision', () => {
    // Restored while systemd waited to restart the crashed release: NRestarts carried over (3).
    const carried = parseUnitStatus(show({ ActiveState: 'active', SubState: 'running', NRestarts: 3 }));
    expect(unitLiveness(carried, '', start)).toEqual({ alive: true });
    // Without the baseline the same unit looks crashed: the bug this baseline fixes.
    expect(unitLiveness(carried, '').alive).toBe(false);
  });

  it('counts restarts after the start', () => {
    const crashed = parseUnitStatus(
      show({ ActiveState: 'activating', SubState: 'auto-restart', NRestarts: 5, ExecMainStatus: 3 }),
    );
    expect(unitLiveness(crashed, 'boom\n', start).reason).toMatch(
      /^the service exited and systemd restarted it 2 time\(s\) \(last exit status 3\); last log lines:\nboom$/,
    );
  });

  it('counts from zero when the counter was reset after the start', () => {
    const reset = parseUnitStatus(
      show({ ActiveState: 'activating', SubState: 'auto-restart', NRestarts: 1 }),
    );
    expect(unitLiveness(reset, '', start).reason).toMatch(/restarted it 1 time\(s\)/);
  });
});

describe('isSetupFailure', () => {
  it("tells systemd's own exit statuses (the command never ran) from the program's", () => {
    expect([203, 200, 217, 243].map(isSetupFailure)).toEqual([true, true, true, true]);
    expect([0, 1, 3, 127, 199, 244].map(isSetupFailure)).toEqual([false, false, false, false, false, false]);
  });
});

describe('startOf (what the restart script printed)', () => {
  const printed = (fields: Record<string, string | number>) =>
    show({ Revision: 'r2', RestartsBefore: 0, Since: '1796124388.1', InvocationID: 'i2', ...fields });

  it('is a start when systemctl restart succeeded', () => {
    expect(startOf('u', printed({ RestartExit: 0, ExecMainStatus: 0 }))).toMatchObject({ revision: 'r2' });
  });

  it('is a start when the process ran and exited before the start job ended (Type=exec race)', () => {
    expect(startOf('u', printed({ RestartExit: 1, ExecMainStatus: 3 }))).toMatchObject({ restartExit: 1 });
  });

  it('throws when systemd could not run the command (exec, working directory, user)', () => {
    expect(() => startOf('u', printed({ RestartExit: 1, ExecMainStatus: 203 }))).toThrow(
      /systemctl restart u failed \(exit 1; the command's exit status 203\)/,
    );
    expect(() => startOf('u', printed({ RestartExit: 1, InvocationID: '' }))).toThrow(/failed/);
    // systemd refused the start (bad setting, start limit): the old process still runs.
    expect(() =>
      startOf('u', printed({ RestartExit: 1, ExecMainStatus: 0, InvocationBefore: 'i2' })),
    ).toThrow(/failed/);
    expect(() => startOf('u', 'garbage')).toThrow(/left no start record/);
  });
});
