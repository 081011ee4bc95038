import { describe, expect, it } from 'vitest';
import { parseUnitStatus, unitLiveness } from './systemd-units.js';

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
        }),
      ),
    ).toEqual({
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
