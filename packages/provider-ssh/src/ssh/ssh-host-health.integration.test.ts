/**
 * Health checks of `sshHost()` run from the server, through the SSH connection: the service URL may
 * name a host this machine cannot resolve or reach (a DNS name, a firewalled port, the server's own
 * loopback), and the deploy is still verified for real. The URL host here cannot resolve anywhere
 * (`.invalid`), so only the provider's `fetch` can reach the service.
 */
import { randomBytes } from 'node:crypto';
import { createDeployer, memoryStateStore } from '@berth/core';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../../test-support/test-env.js';
import { freePort, removeServices, temporaryFolder, testDocker } from '../../test/docker-test-kit.js';
import { dockerFixture, nodeFixture, sshOptionsOf } from '../../test/ssh-host-kit.js';
import { sh } from './remote-command.js';
import { sshConnection } from './ssh-connection.js';
import { sshHost } from './ssh-host.js';

const env = requireTestEnvironment(['sshd', 'systemdHost', 'docker', 'images']);
const suffix = randomBytes(3).toString('hex');
const secrets = await temporaryFolder('berth-ssh-health-secrets');
const dockerBase = `${env.sshd.baseDir}/health-${suffix}`;
const systemdBase = `/opt/berth-health-${suffix}`;
const docker = testDocker(env.docker.socketPath);

afterAll(async () => {
  await removeServices(docker, [`hd-${suffix}-dev`]);
  for (const [host, base] of [
    [env.sshd, dockerBase],
    [env.systemdHost, systemdBase],
  ] as const) {
    const connection = sshConnection(sshOptionsOf(host));
    await connection.run(sh`rm -rf -- ${base}`).catch(() => undefined);
    await connection.close();
  }
  await secrets.remove();
});

/** Deploy with the provider's own `fetch` (the deployer gets none), check the URL, then `down`. */
async function deployVerifiedThroughSsh(provider: ReturnType<typeof sshHost>, name: string, spec: object) {
  const deployer = createDeployer({ provider, state: memoryStateStore() });
  try {
    const result = await deployer.up({ name, ...spec });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.health?.healthy).toBe(true);
    // This machine cannot reach that URL itself: the checks above went through the connection.
    await expect(fetch(`${result.url}/.well-known/health`)).rejects.toThrow();
    expect((await deployer.down({ name, ...spec })).status).toBe('destroyed');
    return result;
  } finally {
    await deployer.close();
  }
}

describe('sshHost health checks through the SSH connection', () => {
  it('systemd: verifies a service whose URL names a host only the server can reach', async () => {
    const port = await freePort();
    const provider = sshHost({
      method: 'systemd',
      ssh: sshOptionsOf(env.systemdHost),
      baseDir: systemdBase,
      start: [env.systemdHost.nodePath, 'server.js'],
      secretsDir: secrets.path,
      urlHost: 'berth-systemd-host.invalid',
      operator: 'health',
    });
    const result = await deployVerifiedThroughSsh(provider, `hs-${suffix}`, {
      image: { build: { context: nodeFixture } },
      port,
      health: { timeoutMs: 30_000 },
    });
    expect(result.url).toBe(`http://berth-systemd-host.invalid:${port}`);
  });

  it('docker: verifies a container published on the server loopback, under its urlHost', async () => {
    const port = await freePort();
    const provider = sshHost({
      method: 'docker',
      ssh: sshOptionsOf(env.sshd),
      baseDir: dockerBase,
      dockerSocketPath: env.sshd.dockerSocketPath,
      secretsDir: secrets.path,
      urlHost: 'berth-docker-host.invalid',
      operator: 'health',
    });
    const result = await deployVerifiedThroughSsh(provider, `hd-${suffix}`, {
      image: { build: { context: dockerFixture, args: { BASE_IMAGE: env.images.busybox } } },
      port,
      health: { timeoutMs: 30_000 },
    });
    expect(result.url).toBe(`http://berth-docker-host.invalid:${port}`);
  });
});
