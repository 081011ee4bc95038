import { describe, expect, it } from 'vitest';
import { hostLayout } from './host-layout.js';
import { parseSnapshot, snapshotCommand } from './systemd-snapshot.js';

const layout = hostLayout("/opt/x;$(id)'", 'api-dev');
const record = {
  version: 1,
  revision: '0002-abcde',
  releaseId: 'r-1',
  createdAt: '2026-01-01T00:00:00.000Z',
  url: 'http://h:8080',
  desired: { port: 8080 },
};
const answer = (current: string, recordLine: string, extra = '') =>
  [
    '',
    '@@berth-snapshot@@current',
    current,
    '',
    '@@berth-snapshot@@record',
    recordLine,
    '',
    '@@berth-snapshot@@status',
    'LoadState=loaded',
    'ActiveState=active',
    'SubState=running',
    'NRestarts=0',
    extra,
  ].join('\n');

describe('snapshotCommand', () => {
  it('quotes the base folder and reads only the parts asked for', () => {
    const plain = snapshotCommand(layout, 'api-dev').script;
    expect(plain).toContain(`cat -- '/opt/x;$(id)'\\''/api-dev/current-revision'`);
    expect(plain).toContain('systemctl show');
    expect(plain).not.toContain('/proc/net');
    const full = snapshotCommand(layout, 'api-dev', { sockets: true, program: 'no de;' }).script;
    expect(full).toContain('cat /proc/net/tcp /proc/net/tcp6');
    expect(full).toContain(`command -v -- 'no de;'`);
  });
});

describe('parseSnapshot', () => {
  it('reads the current revision, its record and the unit', () => {
    const snapshot = parseSnapshot(answer('0002-abcde', JSON.stringify(record)));
    expect(snapshot.currentRevision).toBe('0002-abcde');
    expect(snapshot.record?.releaseId).toBe('r-1');
    expect(snapshot.status).toMatchObject({ loadState: 'loaded', activeState: 'active', restarts: 0 });
    expect(snapshot.sockets).toBeUndefined();
  });

  it('has no record when nothing was deployed, or the record is of another revision', () => {
    expect(parseSnapshot(answer('', ''))).toMatchObject({ currentRevision: undefined, record: undefined });
    expect(parseSnapshot(answer('0003-fffff', JSON.stringify(record))).record).toBeUndefined();
    expect(parseSnapshot(answer('0002-abcde', '{not json')).record).toBeUndefined();
  });

  it('reports a start program that was not found', () => {
    const parts = { program: 'node', sockets: true };
    const found = parseSnapshot(
      `${answer('', '')}\n@@berth-snapshot@@sockets\n\n@@berth-snapshot@@program\n/usr/bin/node\n`,
      parts,
    );
    expect(found.programPath).toBe('/usr/bin/node');
    expect(found.sockets).toEqual([]);
    const missing = parseSnapshot(`${answer('', '')}\n@@berth-snapshot@@program\n`, parts);
    expect(missing.programPath).toBeUndefined();
  });
});

describe('the start record in a snapshot', () => {
  it('reads the baseline of the last start when asked', () => {
    expect(snapshotCommand(layout, 'api-dev', { start: true }).script).toContain(
      `cat -- '/opt/x;$(id)'\\''/api-dev/unit-start'`,
    );
    const snapshot = parseSnapshot(
      `${answer('0002-abcde', JSON.stringify(record))}\n@@berth-snapshot@@start\nRevision=0002-abcde\nRestartsBefore=2\nInvocationID=i1\n`,
      { start: true },
    );
    expect(snapshot.start).toMatchObject({ revision: '0002-abcde', restarts: 2, invocationId: 'i1' });
    expect(
      parseSnapshot(`${answer('', '')}\n@@berth-snapshot@@start\n`, { start: true }).start,
    ).toBeUndefined();
  });
});
