/**
 * A systemd deploy (up, unchanged up, down) in a process of its own never loads dockerode or
 * `@berth/docker`'s tar-fs, and does load ssh2 (so the check would see dockerode if it came).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../../test-support/test-env.js';
import { freePort, temporaryFolder } from '../../test/docker-test-kit.js';
import { loadedPackages } from '../../test/loaded-packages-kit.js';
import { hostInspector, nodeFixture, scratch, sshOptionsOf } from '../../test/ssh-host-kit.js';
import { sh } from './remote-command.js';

const env = requireTestEnvironment(['systemdHost']);
const suffix = randomBytes(3).toString('hex');
const baseDir = `/opt/berth-lazy-${suffix}`;
const name = `lazy-${suffix}`;
const folders = scratch();
const secrets = await temporaryFolder('berth-ssh-lazy-secrets');
const host = hostInspector(env.systemdHost, baseDir, `${name}-dev`);

afterAll(async () => {
  await host.run(sh`rm -rf -- ${baseDir}`).catch(() => undefined);
  await host.close();
  await folders.remove();
  await secrets.remove();
});

describe('the systemd method', () => {
  it('deploys, finds nothing to change, and tears down without loading dockerode', async () => {
    const result = await loadedPackages('systemd', {
      ssh: sshOptionsOf(env.systemdHost),
      baseDir,
      name,
      folder: await folders.folder(nodeFixture),
      port: await freePort(),
      secretsDir: secrets.path,
      nodePath: env.systemdHost.nodePath,
    });
    expect(result.error).toBeUndefined();
    expect(result.statuses).toEqual(['succeeded', 'noop', 'destroyed']);
    expect(result.packages).toContain('ssh2');
    expect(result.packages).not.toContain('dockerode');
    expect(result.packages).not.toContain('docker-modem');
    expect(result.packages).not.toContain('tar-fs');
  });
});
