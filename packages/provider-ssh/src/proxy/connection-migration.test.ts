import { describe, expect, it } from 'vitest';
import { testContext } from '../../test/docker-test-kit.js';
import {
  connectionMigrationCheck,
  connectionMigrationWarning,
  MIGRATE_SETTING,
} from './connection-migration.js';
import { kernelSettingPath } from './proxy-files.js';

describe('connection migration on the proxy host', () => {
  it('says nothing when queued connections move to the new socket', () => {
    expect(connectionMigrationWarning('1\n', 'host-a')).toBeUndefined();
  });

  it('warns with the fix when the setting is off or missing', () => {
    expect(connectionMigrationWarning('0\n', 'host-a')).toMatch(
      /^net\.ipv4\.tcp_migrate_req is 0 on host-a: .*reset.*`sysctl -w net\.ipv4\.tcp_migrate_req=1`/,
    );
    expect(connectionMigrationWarning(undefined, 'host-a')).toMatch(
      /host-a has no net\.ipv4\.tcp_migrate_req/,
    );
  });

  it('reads the setting once per provider and logs the warning once', async () => {
    const logs: string[] = [];
    const reads: string[] = [];
    const check = connectionMigrationCheck(
      {
        readKernelSetting: async (name) => {
          reads.push(name);
          return '0';
        },
      },
      'host-a',
    );
    await check(testContext(logs));
    await check(testContext(logs));
    expect(reads).toEqual([MIGRATE_SETTING]);
    expect(logs.filter((line) => line.includes('tcp_migrate_req'))).toHaveLength(1);
  });

  it('finds the setting under /proc/sys', () => {
    expect(kernelSettingPath(MIGRATE_SETTING)).toBe('/proc/sys/net/ipv4/tcp_migrate_req');
  });
});
