/**
 * `sshHost({ method: 'docker', proxy })` over real SSH (the test sshd, this machine's engine)
 * with a real Caddy 2.6 proxy: updates with no failed request, verification before traffic, a
 * failing revision that never serves, rollback by proxy switch, two services on one proxy, HTTPS
 * for a domain with the proxy's internal CA (trusted explicitly), and the conformance suite.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { type BerthEvent, createDeployer, memoryStateStore, type ServiceSpecInput } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCaddyImage, requireTestEnvironment } from '../../../../test-support/test-env.js';
import { freePort, get, removeServices, temporaryFolder, testDocker } from '../../test/docker-test-kit.js';
import { failures, requestLoop, verifiedAt } from '../../test/request-loop.js';
import { hostInspector, phasesOf, sshOptionsOf } from '../../test/ssh-host-kit.js';
import { sh } from '../ssh/remote-command.js';
import { sshHost } from '../ssh/ssh-host.js';

const env = requireTestEnvironment(['sshd', 'docker', 'images']);
const caddyImage = requireCaddyImage(env.images);
const suffix = randomBytes(3).toString('hex');
const baseDir = `${env.sshd.baseDir}/pxs-${suffix}`;
const docker = testDocker(env.docker.socketPath);
const secrets = await temporaryFolder('berth-ssh-proxy-secrets');
const proxyName = `berth-proxy-ssh-${suffix}`;
const proxy = { image: caddyImage, name: proxyName, drainSeconds: 1 };
const conformancePort = await freePort();
const services: string[] = [];

const provider = (extra: Record<string, unknown> = {}) =>
  sshHost({
    method: 'docker',
    ssh: sshOptionsOf(env.sshd),
    baseDir,
    dockerSocketPath: env.sshd.dockerSocketPath,
    secretsDir: secrets.path,
    operator: 'proxy-test',
    proxy: { ...proxy, ...extra },
  });

afterAll(async () => {
  await removeServices(docker, services);
  await docker
    .getContainer(proxyName)
    .remove({ force: true })
    .catch(() => {});
  const host = hostInspector(env.sshd, baseDir, 'x');
  await host.run(sh`rm -rf -- ${baseDir}`);
  await host.close();
  await secrets.remove();
});

describeProviderConformance({
  name: 'sshHost (docker method, proxy mode)',
  provider: () => provider(),
  stopService: async (_provider, target, revision) => {
    await docker.getContainer(`berth-${target.service}-${revision}`).stop({ t: 0 });
  },
  spec: () => ({
    name: 'x',
    image: { ref: env.images.healthService },
    port: conformancePort,
    health: { timeoutMs: 30_000 },
  }),
});

const spec = (
  name: string,
  port: number,
  extra: Record<string, string> = {},
  health: ServiceSpecInput['health'] = {},
): ServiceSpecInput => ({
  name,
  image: { ref: env.images.healthService },
  port,
  env: { MARKER: 'one', ...extra },
  health: { intervalMs: 200, maxIntervalMs: 500, timeoutMs: 30_000, ...health },
});

describe('sshHost docker proxy mode: traffic', () => {
  const name = `pxa-${suffix}`;
  const other = `pxb-${suffix}`;
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

  beforeAll(async () => {
    port = await freePort();
    otherPort = await freePort();
    services.push(`${name}-dev`, `${other}-dev`);
  });
  afterAll(() => shared.close?.());

  it('serves the first revision through the proxy; the proxy runs as the SSH user', async () => {
    const result = await deployer.up(spec(name, port));
    expect(result.status).toBe('succeeded');
    expect(result.url).toBe(`http://127.0.0.1:${port}`);
    first = result.revision;
    expect(JSON.parse((await get(result.url!, '/.well-known/health')).body).revision).toBe(first);
    const host = hostInspector(env.sshd, baseDir, `${name}-dev`);
    const uid = (await host.run(sh`id -u`)).trim();
    await host.close();
    const inspected = await docker.getContainer(proxyName).inspect();
    expect(inspected.Config.User.split(':')[0]).toBe(uid);
    expect(inspected.HostConfig.NetworkMode).toBe('host');
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
    const host = hostInspector(env.sshd, baseDir, `${name}-dev`);
    const history = await host.history();
    await host.close();
    const switched = history.filter((entry) => entry.operation === 'switch').at(-1);
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
    expect(failures(answers)).toEqual([]);
    expect(answers.at(-1)?.revision).toBe(first);
  });

  it('two services share the proxy with separate routes', async () => {
    const result = await deployer.up(spec(other, otherPort));
    expect(result.status).toBe('succeeded');
    expect(
      JSON.parse((await get(`http://127.0.0.1:${otherPort}`, '/.well-known/health')).body).revision,
    ).toBe(result.revision);
    expect((await deployer.down(spec(other, otherPort))).status).toBe('destroyed');
    expect(JSON.parse((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).body).revision).toBe(
      first,
    );
    expect((await deployer.down(spec(name, port))).status).toBe('destroyed');
    expect((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).status).toBe(0);
  });
});

/** GET over TLS to 127.0.0.1:`port` for `domain`, trusting `ca` only (no `ca`: the system's CAs). */
function tlsGet(domain: string, port: number, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        servername: domain,
        path: '/.well-known/health',
        headers: { host: domain },
        ...(ca ? { ca } : {}),
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('sshHost docker proxy mode: HTTPS for a domain with the internal CA', () => {
  const name = `pxh-${suffix}`;
  const domain = `api-${suffix}.berth.test`;
  let port: number;
  let tlsProvider: ReturnType<typeof provider>;
  const state = memoryStateStore();
  const tlsSpec = (extra: Record<string, string> = {}) => spec(name, 8080, extra);

  beforeAll(async () => {
    port = await freePort();
    services.push(`${name}-dev`);
    tlsProvider = sshHost({
      method: 'docker',
      ssh: sshOptionsOf(env.sshd),
      baseDir,
      dockerSocketPath: env.sshd.dockerSocketPath,
      secretsDir: secrets.path,
      operator: 'proxy-test',
      hostPort: port,
      proxy: { ...proxy, domain, tls: 'internal' },
    });
  });
  afterAll(() => tlsProvider.close?.());

  it('serves https://<domain>:<port> with a certificate of the proxy CA; health checks trust that CA explicitly', async () => {
    const deployer = createDeployer({ provider: tlsProvider, state });
    const result = await deployer.up(tlsSpec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.url).toBe(`https://${domain}:${port}`);
    // Not trusted by default: the certificate comes from the proxy's own CA.
    await expect(tlsGet(domain, port)).rejects.toThrow(/certificate|self.signed|issuer/i);
    const host = hostInspector(env.sshd, baseDir, `${name}-dev`);
    const ca = await host.run(sh`cat -- ${`${baseDir}/proxy/data/caddy/pki/authorities/local/root.crt`}`);
    await host.close();
    expect(ca).toContain('BEGIN CERTIFICATE');
    const answer = await tlsGet(domain, port, ca);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).revision).toBe(result.revision);
    // `status` checks the live URL with the provider's fetch, which trusts the proxy CA it reads.
    const status = await deployer.status(tlsSpec());
    expect(status.healthy).toBe(true);
  });

  it('an update over HTTPS serves every request', async () => {
    const deployer = createDeployer({ provider: tlsProvider, state });
    const fetchThroughHost = (tlsProvider as { fetch?: typeof globalThis.fetch }).fetch!;
    const loop = requestLoop(`https://${domain}:${port}`, { fetch: fetchThroughHost });
    const result = await deployer.up(tlsSpec({ MARKER: 'two' }));
    const answers = await loop.stop();
    expect(result.status).toBe('succeeded');
    expect(answers.length).toBeGreaterThan(5);
    expect(failures(answers)).toEqual([]);
    expect(answers.at(-1)?.revision).toBe(result.revision);
    expect((await deployer.down(tlsSpec())).status).toBe('destroyed');
  });
});
