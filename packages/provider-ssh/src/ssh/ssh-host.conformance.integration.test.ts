/**
 * `sshHost()` passes the provider conformance suite with both methods, over real SSH: the docker
 * method against this machine's sshd and engine, the systemd method against the systemd host
 * (scripts/test-env.sh starts both).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describeProviderConformance } from '@berth/core/conformance';
import { afterAll } from 'vitest';
import { requireTestEnvironment, type SshHostTestEnvironment } from '../../../../test-support/test-env.js';
import { freePort, temporaryFolder, testDocker } from '../../test/docker-test-kit.js';
import { sh } from './remote-command.js';
import { sshConnection } from './ssh-connection.js';
import { sshHost } from './ssh-host.js';
import { unitName } from './unit-file.js';

const env = requireTestEnvironment(['sshd', 'systemdHost', 'images']);
const secrets = await temporaryFolder('berth-ssh-conformance-secrets');
const dockerFixture = fileURLToPath(
  new URL('../../../../test-support/fixtures/health-service', import.meta.url),
);
const nodeFixture = fileURLToPath(new URL('../../test/fixtures/node-health-service', import.meta.url));
const suffix = randomBytes(3).toString('hex');
const dockerBase = `${env.sshd.baseDir}/conformance-${suffix}`;
const systemdBase = `/opt/berth-conformance-${suffix}`;
const dockerPort = await freePort();
const systemdPort = await freePort();

const ssh = (host: SshHostTestEnvironment) => ({
  host: host.host,
  port: host.port,
  username: host.user,
  privateKeyPath: host.privateKeyPath,
  hostKey: host.hostKeyFingerprint,
});

afterAll(async () => {
  for (const [host, base] of [
    [env.sshd, dockerBase],
    [env.systemdHost, systemdBase],
  ] as const) {
    const connection = sshConnection(ssh(host));
    await connection.run(sh`rm -rf -- ${base}`).catch(() => undefined);
    await connection.close();
  }
  await secrets.remove();
});

/** Stop the service's process on the host behind Berth's back: the service is down. */
const stopOn =
  (host: SshHostTestEnvironment, command: (service: string, revision: string) => ReturnType<typeof sh>) =>
  async (_provider: unknown, target: { service: string }, revision: string) => {
    const connection = sshConnection(ssh(host));
    try {
      await connection.run(command(target.service, revision));
    } finally {
      await connection.close();
    }
  };

describeProviderConformance({
  name: 'sshHost (docker method, built on the host engine over SSH)',
  // The test sshd runs on this machine, next to the engine it reaches.
  stopService: async (_provider, target, revision) => {
    await testDocker(env.sshd.dockerSocketPath)
      .getContainer(`berth-${target.service}-${revision}`)
      .stop({ t: 0 });
  },
  provider: () =>
    sshHost({
      method: 'docker',
      ssh: ssh(env.sshd),
      baseDir: dockerBase,
      dockerSocketPath: env.sshd.dockerSocketPath,
      secretsDir: secrets.path,
      operator: 'conformance',
    }),
  spec: () => ({
    name: 'x',
    image: { build: { context: dockerFixture, args: { BASE_IMAGE: env.images.busybox } } },
    port: dockerPort,
    health: { timeoutMs: 30_000 },
  }),
});

describeProviderConformance({
  name: 'sshHost (systemd method)',
  stopService: stopOn(env.systemdHost, (service) => sh`systemctl stop ${unitName(service)}`),
  provider: () =>
    sshHost({
      method: 'systemd',
      ssh: ssh(env.systemdHost),
      baseDir: systemdBase,
      start: [env.systemdHost.nodePath, 'server.js'],
      secretsDir: secrets.path,
      operator: 'conformance',
    }),
  spec: () => ({
    name: 'x',
    image: { build: { context: nodeFixture } },
    port: systemdPort,
    health: { timeoutMs: 30_000 },
  }),
});
