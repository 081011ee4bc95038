/**
 * examples/ssh-host.ts, configured from environment variables as a user would, against both SSH
 * test hosts: the docker method on this machine's sshd and engine, the systemd method on the
 * systemd-booted Debian host. Each run gets its own port, service name and base folder.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { BerthEvent } from '@berth/core';
import { sh, sshConnection } from '@berth/provider-ssh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, get, temporaryFolder, testDocker } from '../packages/provider-ssh/test/docker-test-kit.js';
import { requireTestEnvironment, type SshHostTestEnvironment } from '../test-support/test-env.js';
import { hostHistory, main, type SshExampleOptions, sshExampleOptionsFromEnv } from './ssh-host.ts';

const env = requireTestEnvironment(['sshd', 'systemdHost', 'images']);
const suffix = randomBytes(3).toString('hex');

const cases = [
  {
    method: 'docker' as const,
    host: env.sshd,
    baseDir: `${env.sshd.baseDir}/example-${suffix}`,
    environment: `d${suffix}`,
    extraEnv: { BERTH_BASE_IMAGE: env.images.node },
    extra: { dockerSocketPath: env.sshd.dockerSocketPath },
    hostPhases: ['validation', 'build', 'start'],
  },
  {
    method: 'systemd' as const,
    host: env.systemdHost,
    baseDir: `/opt/berth/example-${suffix}`,
    environment: `s${suffix}`,
    extraEnv: { BERTH_SSH_START: `${env.systemdHost.nodePath} server.mjs` },
    extra: {},
    hostPhases: ['validation', 'transfer', 'build', 'start'],
  },
];

function sshEnv(host: SshHostTestEnvironment) {
  return {
    BERTH_SSH_HOST: host.host,
    BERTH_SSH_PORT: String(host.port),
    BERTH_SSH_USER: host.user,
    BERTH_SSH_KEY: host.privateKeyPath,
    BERTH_SSH_HOST_KEY: host.hostKeyFingerprint,
  };
}

/** A registry webhook on loopback that keeps what it is POSTed. */
async function webhook(): Promise<{ url: string; received: Record<string, unknown>[]; server: Server }> {
  const received: Record<string, unknown>[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    request.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/services`, received, server };
}

describe.each(cases)('examples/ssh-host.ts with the $method method', (testCase) => {
  const events: BerthEvent[] = [];
  let options: SshExampleOptions;
  let work: Awaited<ReturnType<typeof temporaryFolder>>;
  let port: number;
  let registry: Awaited<ReturnType<typeof webhook>>;
  let removed = false;

  beforeAll(async () => {
    work = await temporaryFolder(`berth-ssh-example-${testCase.method}`);
    port = await freePort();
    registry = await webhook();
    options = {
      ...sshExampleOptionsFromEnv({
        ...sshEnv(testCase.host),
        BERTH_SSH_METHOD: testCase.method,
        BERTH_SSH_BASE_DIR: testCase.baseDir,
        BERTH_PORT: String(port),
        BERTH_REGISTER_URL: registry.url,
        ...testCase.extraEnv,
      }),
      ...testCase.extra,
      environment: testCase.environment,
      stateDir: join(work.path, '.deployment'),
      secretsDir: join(work.path, 'secrets'),
      onEvent: (event) => events.push(event),
    };
  });

  afterAll(async () => {
    if (options) {
      if (!removed) await main(options, 'down').catch(() => undefined);
      const connection = sshConnection(options.ssh);
      await connection.run(sh`rm -rf -- ${testCase.baseDir}`).catch(() => undefined);
      await connection.close();
    }
    if (testCase.method === 'docker') {
      // `down` keeps images; drop this run's tags (the image itself is shared with other runs).
      const docker = testDocker(env.sshd.dockerSocketPath);
      const repository = `berth/hello-agent-${testCase.environment}`;
      for (const image of await docker.listImages({ filters: { reference: [repository] } }))
        for (const tag of image.RepoTags ?? [])
          if (tag.startsWith(`${repository}:`))
            await docker
              .getImage(tag)
              .remove()
              .catch(() => undefined);
    }
    await work?.remove();
    registry?.server.close();
  });

  it('deploys hello-agent, which answers its health checks at the URL, and a second run is a noop', async () => {
    const up = await main(options);
    expect(up.error).toBeUndefined();
    expect(up.status).toBe('succeeded');
    expect(up.url).toBe(`http://127.0.0.1:${port}`);

    const health = await fetch(`${up.url}/.well-known/health`);
    expect(health.status).toBe(200);
    // The generated RSA key reached the process intact (a multi-line secret).
    expect(await health.json()).toMatchObject({
      status: 'ok',
      environment: testCase.environment,
      rsa: 'rsa-2048',
    });
    expect((await fetch(`${up.url}/agents/health`)).status).toBe(401);

    const plan = events.find((event) => event.type === 'plan-ready');
    expect(plan?.type === 'plan-ready' && plan.plan.action).toBe('create');
    if (testCase.method === 'systemd') {
      const transfer = events.filter((event) => event.type === 'progress' && event.step === 'transfer');
      expect(transfer.length).toBeGreaterThan(0);
    }

    const service = `hello-agent-${testCase.environment}`;
    expect(registry.received).toEqual([
      expect.objectContaining({ event: 'register', service, url: up.url, revision: up.revision }),
    ]);

    const again = await main(options);
    expect(again.error).toBeUndefined();
    expect(again.status).toBe('noop');
    expect(again.revision).toBe(up.revision);
    expect(registry.received).toHaveLength(1);

    // The host keeps its own history, so another operator sees this deploy, every step timed.
    const history = await hostHistory(options);
    expect(history.map((entry) => [entry.operation, entry.status, entry.revision])).toEqual([
      ['deploy', 'succeeded', up.revision],
      ['verify', 'succeeded', up.revision],
    ]);
    expect(history[0]?.phases?.map((phase) => phase.name)).toEqual(testCase.hostPhases);
    expect(history[1]?.phases?.map((phase) => phase.name)).toEqual(['verify', 'register']);
  }, 300_000);

  it('removes the service with down: the URL stops answering, the host history stays', async () => {
    const down = await main(options, 'down');
    removed = true;
    expect(down.error).toBeUndefined();
    expect(down.status).toBe('destroyed');
    expect((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).status).toBe(0);
    expect(registry.received.at(-1)).toMatchObject({
      event: 'deregister',
      service: `hello-agent-${testCase.environment}`,
    });
    const last = (await hostHistory(options)).at(-1);
    expect(last).toMatchObject({ operation: 'down', status: 'succeeded' });
    expect(last?.phases?.map((phase) => phase.name)).toEqual(['deregister']);
  }, 120_000);
});
