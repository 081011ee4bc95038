/**
 * `localDocker({ proxy })` against the real engine with a real Caddy 2.6 proxy (images.caddy):
 * updates with no failed request, verification before traffic, a failing revision that never
 * serves, rollback by proxy switch, two services behind one proxy, and the conformance suite.
 */
import { type BerthEvent, createDeployer, memoryStateStore, type ServiceSpecInput } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireCaddyImage, requireTestEnvironment } from '../../../../test-support/test-env.js';
import {
  freePort,
  get,
  removeServices,
  temporaryFolder,
  testContext,
  testDocker,
  uniqueName,
} from '../../test/docker-test-kit.js';
import { failures, requestLoop, verifiedAt } from '../../test/request-loop.js';
import { localDocker } from '../local-docker.js';

const env = requireTestEnvironment(['docker', 'images']);
const caddyImage = requireCaddyImage(env.images);
const docker = testDocker(env.docker.socketPath);
const dockerOptions = { socketPath: env.docker.socketPath };
const secretsRoot = await temporaryFolder('berth-proxy-secrets');
const proxyRoot = await temporaryFolder('bpx');
const proxyName = uniqueName('berth-proxy-test');
const proxy = { image: caddyImage, name: proxyName, directory: proxyRoot.path, drainSeconds: 1 };
const conformancePort = await freePort();
const services: string[] = [];

afterAll(async () => {
  await removeServices(docker, services);
  await docker
    .getContainer(proxyName)
    .remove({ force: true })
    .catch(() => {});
  await proxyRoot.remove();
  await secretsRoot.remove();
});

const provider = () => localDocker({ dockerOptions, secretsDir: secretsRoot.path, proxy });

describeProviderConformance({
  name: 'localDocker (proxy mode)',
  provider,
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

describe('localDocker proxy mode: traffic', () => {
  const name = uniqueName('px');
  const other = uniqueName('py');
  let port: number;
  let otherPort: number;
  const events: BerthEvent[] = [];
  const deployer = createDeployer({
    provider: provider(),
    state: memoryStateStore(),
    onEvent: (event) => events.push(event),
  });
  const spec = (
    service: string,
    servicePort: number,
    extra: Record<string, string> = {},
    health: ServiceSpecInput['health'] = {},
  ): ServiceSpecInput => ({
    name: service,
    image: { ref: env.images.healthService },
    port: servicePort,
    env: { MARKER: 'one', ...extra },
    health: { intervalMs: 200, maxIntervalMs: 500, timeoutMs: 30_000, ...health },
  });
  let first: string | undefined;
  let second: string | undefined;

  beforeAll(async () => {
    port = await freePort();
    otherPort = await freePort();
    services.push(`${name}-dev`, `${other}-dev`);
  });

  it('serves the first revision through the proxy at the service port', async () => {
    const result = await deployer.up(spec(name, port));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.url).toBe(`http://127.0.0.1:${port}`);
    first = result.revision;
    const health = await get(result.url!, '/.well-known/health');
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', revision: first });
    const proxyContainer = await docker.getContainer(proxyName).inspect();
    expect(proxyContainer.HostConfig.NetworkMode).toBe('host');
    const observed = await provider().observe(testContext(), {
      service: `${name}-dev`,
      name,
      environment: 'dev',
    });
    expect(observed?.revision).toBe(first);
    expect(observed?.data?.upstreamPort).not.toBe(port);
  });

  it('an update serves every request, and the new revision only once it was verified', async () => {
    events.length = 0;
    const loop = requestLoop(`http://127.0.0.1:${port}`);
    const result = await deployer.up(spec(name, port, { MARKER: 'two' }));
    const answers = await loop.stop();
    expect(result.status).toBe('succeeded');
    second = result.revision;
    expect(second).not.toBe(first);
    expect(failures(answers)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.revision))).toEqual(new Set([first, second]));
    const verified = verifiedAt(events);
    for (const answer of answers.filter((each) => each.revision === second))
      expect(answer.endedAt).toBeGreaterThanOrEqual(verified);
    expect(answers.at(-1)?.revision).toBe(second);
    // The previous revision drained and stopped; it is kept for rollback.
    const states = (
      await docker.listContainers({ all: true, filters: { label: [`dev.berth.service=${name}-dev`] } })
    )
      .map((container) => container.State)
      .sort();
    expect(states).toEqual(['exited', 'running']);
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
    // The failed revision may still run beside it, but the proxy never sent it a request.
    const revisions = await provider().listRevisions!(testContext(), {
      service: `${name}-dev`,
      name,
      environment: 'dev',
    });
    expect(
      revisions.filter((revision) => revision.traffic === 100).map((revision) => revision.revision),
    ).toEqual([second]);
  });

  it('a manual rollback is a proxy switch to the kept revision, with no failed request', async () => {
    const loop = requestLoop(`http://127.0.0.1:${port}`);
    const result = await deployer.rollback(spec(name, port), { to: first! });
    const answers = await loop.stop();
    expect(result.status).toBe('succeeded');
    expect(result.revision).toBe(first);
    expect(failures(answers)).toEqual([]);
    expect(answers.at(-1)?.revision).toBe(first);
    const observed = await provider().observe(testContext(), {
      service: `${name}-dev`,
      name,
      environment: 'dev',
    });
    expect(observed?.revision).toBe(first);
  });

  it('two services share the proxy with separate routes; down removes only its own', async () => {
    const result = await deployer.up(spec(other, otherPort));
    expect(result.status).toBe('succeeded');
    const otherRevision = result.revision;
    expect(
      JSON.parse((await get(`http://127.0.0.1:${otherPort}`, '/.well-known/health')).body).revision,
    ).toBe(otherRevision);
    expect(JSON.parse((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).body).revision).toBe(
      first,
    );
    const down = await deployer.down(spec(other, otherPort));
    expect(down.status).toBe('destroyed');
    expect((await get(`http://127.0.0.1:${otherPort}`, '/.well-known/health')).status).toBe(0);
    expect(JSON.parse((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).body).revision).toBe(
      first,
    );
  });

  it('down removes the service route and keeps the proxy for others', async () => {
    const down = await deployer.down(spec(name, port));
    expect(down.status).toBe('destroyed');
    expect((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).status).toBe(0);
    expect((await docker.getContainer(proxyName).inspect()).State.Running).toBe(true);
  });
});
