/**
 * `sshHost({ method: 'systemd', proxy })` on the systemd test host with its caddy
 * (`systemdHost.caddyPath`): the proxy unit, revisions in slot units beside each other, updates
 * with no failed request, a failing revision that never serves, rollback by proxy switch, two
 * services on one proxy, and the conformance suite.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type BerthEvent, createDeployer, memoryStateStore, type ServiceSpecInput } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment, TestEnvironmentError } from '../../../../test-support/test-env.js';
import { freePort, get, temporaryFolder } from '../../test/docker-test-kit.js';
import { failures, requestLoop, verifiedAt } from '../../test/request-loop.js';
import { hostInspector, phasesOf, sshOptionsOf } from '../../test/ssh-host-kit.js';
import { sh } from '../ssh/remote-command.js';
import { sshHost } from '../ssh/ssh-host.js';
import { unitName } from '../ssh/unit-file.js';

const env = requireTestEnvironment(['systemdHost']);
const caddyPath = env.systemdHost.caddyPath;
if (!caddyPath)
  throw new TestEnvironmentError(
    'The systemd test host lacks "systemdHost.caddyPath" (Debian\'s caddy binary): run `bash scripts/test-env.sh`.',
  );
const suffix = randomBytes(3).toString('hex');
const baseDir = `/opt/berth-proxy-${suffix}`;
const proxyName = `berth-proxy-sd-${suffix}`;
const secrets = await temporaryFolder('berth-systemd-proxy-secrets');
const fixture = fileURLToPath(new URL('../../test/fixtures/node-health-service', import.meta.url));
const conformancePort = await freePort();

const provider = () =>
  sshHost({
    method: 'systemd',
    ssh: sshOptionsOf(env.systemdHost),
    baseDir,
    start: [env.systemdHost.nodePath, 'server.js'],
    secretsDir: secrets.path,
    operator: 'proxy-test',
    proxy: { name: proxyName, caddyPath, drainSeconds: 1 },
  });

afterAll(async () => {
  const host = hostInspector(env.systemdHost, baseDir, 'x');
  await host.run(
    sh`systemctl disable --now ${`${proxyName}.service`}; rm -f ${`/etc/systemd/system/${proxyName}.service`}; systemctl daemon-reload; rm -rf -- ${baseDir}`,
  );
  await host.close();
  await secrets.remove();
});

describeProviderConformance({
  name: 'sshHost (systemd method, proxy mode)',
  provider,
  stopService: async (_provider, target) => {
    const host = hostInspector(env.systemdHost, baseDir, target.service);
    await host.run(
      sh`systemctl stop ${unitName(`${target.service}--a`)} ${unitName(`${target.service}--b`)}`,
    );
    await host.close();
  },
  spec: () => ({
    name: 'x',
    image: { build: { context: fixture } },
    port: conformancePort,
    health: { timeoutMs: 30_000 },
  }),
});

describe('sshHost systemd proxy mode: traffic', () => {
  const name = `sxa-${suffix}`;
  const other = `sxb-${suffix}`;
  const events: BerthEvent[] = [];
  const shared = provider();
  const deployer = createDeployer({
    provider: shared,
    state: memoryStateStore(),
    onEvent: (event) => events.push(event),
  });
  let port: number;
  let otherPort: number;
  let first: string | undefined;
  let second: string | undefined;
  const spec = (
    service: string,
    servicePort: number,
    extra: Record<string, string> = {},
    health: ServiceSpecInput['health'] = {},
  ): ServiceSpecInput => ({
    name: service,
    image: { build: { context: fixture } },
    port: servicePort,
    env: { MARKER: 'one', ...extra },
    health: { intervalMs: 200, maxIntervalMs: 500, timeoutMs: 30_000, ...health },
  });

  beforeAll(async () => {
    port = await freePort();
    otherPort = await freePort();
  });
  afterAll(() => shared.close?.());

  it('serves the first revision through the berth-proxy unit, the revision in a slot unit', async () => {
    const result = await deployer.up(spec(name, port));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.url).toBe(`http://${env.systemdHost.host}:${port}`);
    first = result.revision;
    expect(JSON.parse((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).body).revision).toBe(
      first,
    );
    const host = hostInspector(env.systemdHost, baseDir, `${name}-dev`);
    expect((await host.run(sh`systemctl is-active ${`${proxyName}.service`}`)).trim()).toBe('active');
    expect((await host.run(sh`systemctl is-active ${unitName(`${name}-dev--a`)}`)).trim()).toBe('active');
    await host.close();
  });

  it('an update serves every request, the new revision only once verified; the switch is in the host history', async () => {
    events.length = 0;
    const loop = requestLoop(`http://127.0.0.1:${port}`);
    const result = await deployer.up(spec(name, port, { MARKER: 'two' }));
    const answers = await loop.stop();
    expect(result.status).toBe('succeeded');
    second = result.revision;
    expect(failures(answers)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.revision))).toEqual(new Set([first, second]));
    const verified = verifiedAt(events);
    for (const answer of answers.filter((each) => each.revision === second))
      expect(answer.endedAt).toBeGreaterThanOrEqual(verified);
    const host = hostInspector(env.systemdHost, baseDir, `${name}-dev`);
    const switched = (await host.history()).filter((entry) => entry.operation === 'switch').at(-1);
    // The previous slot drained and stopped.
    expect((await host.run(sh`systemctl is-active ${unitName(`${name}-dev--a`)}; true`)).trim()).toBe(
      'inactive',
    );
    await host.close();
    expect(switched).toMatchObject({ status: 'succeeded', revision: second });
    expect(phasesOf(switched)).toEqual(['switch:succeeded']);
  });

  it('a revision that fails its health check never serves a request', async () => {
    const loop = requestLoop(`http://127.0.0.1:${port}`);
    const result = await deployer.up(
      spec(name, port, { MARKER: 'three', BERTH_TEST_FAIL_HEALTH: '1' }, { timeoutMs: 4_000 }),
    );
    const answers = await loop.stop();
    expect(result.status).toBe('rolled-back');
    expect(result.revision).toBe(second);
    expect(failures(answers)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.revision))).toEqual(new Set([second]));
  });

  it('a manual rollback is a proxy switch with no failed request', async () => {
    const loop = requestLoop(`http://127.0.0.1:${port}`);
    const result = await deployer.rollback(spec(name, port), { to: first! });
    const answers = await loop.stop();
    expect(result.status).toBe('succeeded');
    expect(result.revision).toBe(first);
    expect(failures(answers)).toEqual([]);
    expect(answers.at(-1)?.revision).toBe(first);
  });

  it('two services share the proxy with separate routes; down removes only its own', async () => {
    const result = await deployer.up(spec(other, otherPort));
    expect(result.status).toBe('succeeded');
    expect(
      JSON.parse((await get(`http://127.0.0.1:${otherPort}`, '/.well-known/health')).body).revision,
    ).toBe(result.revision);
    expect((await deployer.down(spec(other, otherPort))).status).toBe('destroyed');
    expect((await get(`http://127.0.0.1:${otherPort}`, '/.well-known/health')).status).toBe(0);
    expect(JSON.parse((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).body).revision).toBe(
      first,
    );
    expect((await deployer.down(spec(name, port))).status).toBe('destroyed');
    expect((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).status).toBe(0);
  });
});

describe('sshHost systemd proxy mode: preflight', () => {
  it('refuses to deploy when the host has no caddy, with the fix, before anything is sent', async () => {
    const name = `sxc-${suffix}`;
    const missing = sshHost({
      method: 'systemd',
      ssh: sshOptionsOf(env.systemdHost),
      baseDir,
      start: [env.systemdHost.nodePath, 'server.js'],
      secretsDir: secrets.path,
      operator: 'proxy-test',
      proxy: { name: proxyName, caddyPath: '/usr/local/bin/no-caddy-here' },
    });
    const deployer = createDeployer({ provider: missing, state: memoryStateStore() });
    try {
      const result = await deployer.up({
        name,
        image: { build: { context: fixture } },
        port: await freePort(),
      });
      expect(result.status).toBe('failed');
      expect(result.error).toMatchObject({
        code: 'PREFLIGHT_FAILED',
        message: expect.stringContaining('proxy: The proxy needs caddy'),
        hint: expect.stringContaining('apt-get install caddy'),
      });
      expect(result.phases.map((phase) => phase.name)).not.toContain('image');
    } finally {
      await missing.close?.();
    }
  });
});
