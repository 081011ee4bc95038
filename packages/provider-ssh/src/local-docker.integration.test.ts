import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createDeployer, type Deployer, memoryStateStore, type ServiceSpecInput } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { dockerImageBuilder } from '@berth/docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import {
  freePort,
  get,
  managedContainers,
  removeServices,
  temporaryFolder,
  testContext,
  testDocker,
  uniqueName,
  waitForStatus,
} from '../test/docker-test-kit.js';
import { localDocker } from './local-docker.js';

// Fails (never skips) with the fix in the message when the environment is not up.
const env = requireTestEnvironment(['docker', 'images']);
const docker = testDocker(env.docker.socketPath);
const dockerOptions = { socketPath: env.docker.socketPath };
const secretsRoot = await temporaryFolder('berth-local-docker-secrets');
const fixture = fileURLToPath(new URL('../../../test-support/fixtures/health-service', import.meta.url));
const conformanceRefPort = await freePort();
const conformanceBuildPort = await freePort();

afterAll(() => secretsRoot.remove());

/** Stop the serving container behind Berth's back: the service is down. */
const stopService = async (_provider: unknown, target: { service: string }, revision: string) => {
  await docker.getContainer(`berth-${target.service}-${revision}`).stop({ t: 0 });
};

describeProviderConformance({
  name: 'localDocker (image ref)',
  provider: () => localDocker({ dockerOptions, secretsDir: secretsRoot.path }),
  stopService,
  spec: () => ({
    name: 'x',
    image: { ref: env.images.healthService },
    port: conformanceRefPort,
    health: { timeoutMs: 30_000 },
  }),
});

describeProviderConformance({
  name: 'localDocker (built image)',
  provider: () => localDocker({ dockerOptions, secretsDir: secretsRoot.path }),
  imageBuilder: () => dockerImageBuilder({ docker, git: false }),
  stopService,
  spec: () => ({
    name: 'x',
    image: { build: { context: fixture, args: { BASE_IMAGE: env.images.busybox } } },
    port: conformanceBuildPort,
    health: { timeoutMs: 30_000 },
  }),
});

describe('localDocker through the deployer', () => {
  const name = uniqueName('ld');
  const service = `${name}-dev`;
  const secretValue = `s3cret-${randomBytes(12).toString('hex')}`;
  let port: number;
  let deployer: Deployer;
  let firstRevision: string | undefined;
  const spec = (
    extra: Record<string, string> = {},
    health: ServiceSpecInput['health'] = {},
  ): ServiceSpecInput => ({
    name,
    image: { ref: env.images.healthService },
    port,
    env: { GREETING: 'hello "world"', ...extra },
    secrets: { API_TOKEN: { value: secretValue } },
    health: { intervalMs: 250, maxIntervalMs: 1_000, timeoutMs: 30_000, ...health },
  });
  const provider = () => localDocker({ dockerOptions, secretsDir: secretsRoot.path });
  const target = { service, name, environment: 'dev' };

  beforeAll(async () => {
    port = await freePort();
    deployer = createDeployer({ provider: provider(), state: memoryStateStore() });
  });
  afterAll(() => removeServices(docker, [service]));

  it('serves the first revision on 127.0.0.1 at the host port', async () => {
    const result = await deployer.up(spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.url).toBe(`http://127.0.0.1:${port}`);
    firstRevision = result.revision;
    const health = await get(result.url!, '/.well-known/health');
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', revision: firstRevision });
  });

  it('injects env, PORT and secrets as container env', async () => {
    const url = `http://127.0.0.1:${port}`;
    expect((await get(url, '/env/GREETING')).body).toBe('hello "world"');
    expect((await get(url, '/env/PORT')).body).toBe(String(port));
    expect((await get(url, '/env/API_TOKEN')).body).toBe(secretValue);
  });

  it('keeps secret values out of container labels and observe()', async () => {
    const containers = await managedContainers(docker, service);
    expect(containers).toHaveLength(1);
    const labels = containers[0]?.Labels ?? {};
    expect(JSON.stringify(labels)).not.toContain(secretValue);
    expect(labels['dev.berth.secrets']).toContain('API_TOKEN');
    const observed = await provider().observe(testContext(), target);
    expect(observed?.secrets.API_TOKEN?.fingerprint).toMatch(/^hmac-sha256:/);
    expect(JSON.stringify(observed)).not.toContain(secretValue);
    expect(observed?.env).toEqual({ GREETING: 'hello "world"' });
  });

  it('keeps the secret store private: folder 0700, files 0600', async () => {
    const folder = await stat(`${secretsRoot.path}/${service}`);
    expect(folder.mode & 0o777).toBe(0o700);
    const file = await stat(`${secretsRoot.path}/${service}/API_TOKEN.v1`);
    expect(file.mode & 0o777).toBe(0o600);
  });

  it('rolls back to the previous container when the new one fails its health check', async () => {
    const result = await deployer.up(spec({ BERTH_TEST_FAIL_HEALTH: '1' }, { timeoutMs: 5_000 }));
    expect(result.status).toBe('rolled-back');
    expect(result.revision).toBe(firstRevision);
    const health = await waitForStatus(`http://127.0.0.1:${port}`, '/.well-known/health', 200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', revision: firstRevision });
    const states = (await managedContainers(docker, service)).map((container) => container.State).sort();
    expect(states).toEqual(['exited', 'running']);
    expect((await provider().observe(testContext(), target))?.revision).toBe(firstRevision);
  });

  it('fails fast on a crashing revision, reporting its exit and last log lines', async () => {
    const result = await deployer.up(
      spec({ BERTH_TEST_FAIL_HEALTH: '1', BERTH_TEST_CRASH_AFTER_SECONDS: '1' }, { timeoutMs: 120_000 }),
    );
    expect(result.status).toBe('rolled-back');
    expect(result.health?.reason).toMatch(/^process-exited: container berth-/);
    expect(result.health?.reason).toMatch(/exited with code 1/);
    expect(result.health?.reason).toContain('crashing on purpose');
    expect(JSON.stringify(result)).not.toContain(secretValue);
    expect((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).status).toBe(200);
  });

  it('down removes every container and the secrets it stored', async () => {
    const result = await deployer.down(spec());
    expect(result.status).toBe('destroyed');
    expect(result.deletedSecrets).toEqual(['API_TOKEN']);
    expect(await managedContainers(docker, service)).toEqual([]);
    await expect(stat(`${secretsRoot.path}/${service}`)).rejects.toThrow(/ENOENT/);
    expect(await provider().observe(testContext(), target)).toBeUndefined();
  });
});
