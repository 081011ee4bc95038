import { createServer, type Server } from 'node:net';
import { BerthError, type DesiredService, type Provider } from '@berth/core';
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
const env = requireTestEnvironment(['docker', 'images', 'registry']);
const docker = testDocker(env.docker.socketPath);
const dockerOptions = { socketPath: env.docker.socketPath };
const secretsRoot = await temporaryFolder('berth-local-docker-provider');
const services: string[] = [];
const context = testContext();

/** A desired service on the health-service image, as the engine would hand it over. */
function desiredOf(
  name: string,
  revision: string,
  port: number,
  overrides: Partial<DesiredService> = {},
): DesiredService {
  const service = `${name}-dev`;
  if (!services.includes(service)) services.push(service);
  return {
    service,
    name,
    environment: 'dev',
    revision,
    image: { ref: env.images.healthService },
    port,
    env: { MARKER: revision },
    secrets: {},
    healthPath: '/.well-known/health',
    resources: { cpu: 0.5, memory: '64Mi' },
    public: true,
    ...overrides,
  };
}

const targetOf = (desired: DesiredService) => ({
  service: desired.service,
  name: desired.name,
  environment: desired.environment,
});
const revisionOf = async (url: string) =>
  JSON.parse((await waitForStatus(url, '/.well-known/health', 200)).body).revision as string;
const providerWith = (options: Parameters<typeof localDocker>[0] = {}): Provider =>
  localDocker({ dockerOptions, secretsDir: secretsRoot.path, ...options });

afterAll(async () => {
  await removeServices(docker, services);
  await secretsRoot.remove();
});

describe('localDocker revisions', () => {
  const provider = providerWith({ keepRevisions: 1 });
  const name = uniqueName('lr');
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });

  it('observes nothing before the first deploy', async () => {
    const target = targetOf(desiredOf(name, '0001-aaaaa', port));
    expect(await provider.observe(context, target)).toBeUndefined();
    expect(await provider.listRevisions?.(context, target)).toEqual([]);
  });

  it('runs each revision in its own container, with CPU and memory limits', async () => {
    const outcome = await provider.apply(context, desiredOf(name, '0001-aaaaa', port), { reason: 'deploy' });
    expect(outcome).toMatchObject({ revision: '0001-aaaaa', url: `http://127.0.0.1:${port}` });
    expect(await revisionOf(outcome.url!)).toBe('0001-aaaaa');
    const inspected = await docker.getContainer(`berth-${name}-dev-0001-aaaaa`).inspect();
    expect(inspected.HostConfig.NanoCpus).toBe(500_000_000);
    expect(inspected.HostConfig.Memory).toBe(64 * 1024 * 1024);
    expect(inspected.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(inspected.HostConfig.PortBindings).toEqual({
      [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }],
    });
  });

  it('keeps the previous revision stopped and prunes older ones', async () => {
    await provider.apply(context, desiredOf(name, '0002-bbbbb', port), { reason: 'deploy' });
    const third = await provider.apply(context, desiredOf(name, '0003-ccccc', port), { reason: 'deploy' });
    expect(await revisionOf(third.url!)).toBe('0003-ccccc');
    const revisions = await provider.listRevisions?.(context, targetOf(desiredOf(name, '0003-ccccc', port)));
    expect(revisions?.map((revision) => [revision.revision, revision.status])).toEqual([
      ['0003-ccccc', 'running'],
      ['0002-bbbbb', 'stopped'],
    ]);
  });

  it('restores a stopped revision by starting its container again', async () => {
    const desired = desiredOf(name, '0002-bbbbb', port);
    const outcome = await provider.restoreRevision!(context, targetOf(desired), {
      revision: desired.revision,
      desired,
    });
    expect(await revisionOf(outcome.url!)).toBe('0002-bbbbb');
    expect((await provider.observe(context, targetOf(desired)))?.revision).toBe('0002-bbbbb');
    const probe = await provider.probeRevision!(context, targetOf(desired), '0003-ccccc');
    expect(probe.alive).toBe(false);
    expect(probe.reason).toMatch(/exited with code 0/);
  });

  it('recreates a pruned revision from its record', async () => {
    const desired = desiredOf(name, '0001-aaaaa', port);
    const outcome = await provider.restoreRevision!(context, targetOf(desired), {
      revision: desired.revision,
      desired,
    });
    expect(await revisionOf(outcome.url!)).toBe('0001-aaaaa');
    expect((await get(outcome.url!, '/env/MARKER')).body).toBe('0001-aaaaa');
    expect(await provider.probeRevision!(context, targetOf(desired), '0001-aaaaa')).toEqual({ alive: true });
  });

  it('refuses an image the engine does not have, leaving the live revision running', async () => {
    const desired = desiredOf(name, '0004-ddddd', port, { image: { ref: `sha256:${'0'.repeat(64)}` } });
    await expect(provider.apply(context, desired, { reason: 'deploy' })).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
    });
    expect(await revisionOf(`http://127.0.0.1:${port}`)).toBe('0001-aaaaa');
  });

  it('destroy removes every container of the service and keeps the image', async () => {
    const target = targetOf(desiredOf(name, '0001-aaaaa', port));
    const { removed } = await provider.destroy(context, target, { deleteImages: false });
    expect(removed).toHaveLength(3);
    expect(await managedContainers(docker, target.service)).toEqual([]);
    expect(await provider.observe(context, target)).toBeUndefined();
    await expect(docker.getImage(env.images.healthService).inspect()).resolves.toBeDefined();
  });
});

describe('localDocker host ports', () => {
  const name = uniqueName('lp');
  const other = uniqueName('lq');
  let port: number;
  let provider: Provider;
  let listener: Server | undefined;
  beforeAll(async () => {
    port = await freePort();
    provider = providerWith({ hostPort: port });
  });
  afterAll(() => new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve())));

  it('passes preflight when the engine answers and the port is free', async () => {
    const checks = await provider.preflight!(context, targetOf(desiredOf(name, '0001-aaaaa', 8000)));
    expect(checks.map((check) => [check.name, check.ok])).toEqual([
      ['docker-engine', true],
      ['host-port', true],
    ]);
  });

  it('publishes the container port on the hostPort option', async () => {
    const outcome = await provider.apply(context, desiredOf(name, '0001-aaaaa', 8000), { reason: 'deploy' });
    expect(outcome.url).toBe(`http://127.0.0.1:${port}`);
    expect(await revisionOf(outcome.url!)).toBe('0001-aaaaa');
    const own = await provider.preflight!(context, targetOf(desiredOf(name, '0001-aaaaa', 8000)));
    expect(own.find((check) => check.name === 'host-port')?.ok).toBe(true);
  });

  it('names the container of another service that holds the port', async () => {
    const checks = await provider.preflight!(context, targetOf(desiredOf(other, '0001-aaaaa', 8000)));
    const hostPort = checks.find((check) => check.name === 'host-port');
    expect(hostPort).toMatchObject({
      ok: false,
      message: `127.0.0.1:${port} is published by container berth-${name}-dev-0001-aaaaa`,
    });
    await expect(
      provider.apply(context, desiredOf(other, '0001-aaaaa', 8000), { reason: 'deploy' }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_CONFLICT',
    });
    expect(await revisionOf(`http://127.0.0.1:${port}`)).toBe('0001-aaaaa');
  });

  it('reports a port taken by a process outside Docker', async () => {
    const taken = await freePort();
    listener = createServer();
    await new Promise<void>((resolve) => listener!.listen({ host: '127.0.0.1', port: taken }, resolve));
    const checks = await providerWith({ hostPort: taken }).preflight!(
      context,
      targetOf(desiredOf(other, '0001-aaaaa', 8000)),
    );
    expect(checks.find((check) => check.name === 'host-port')).toMatchObject({
      ok: false,
      message: `127.0.0.1:${taken} is in use by another process`,
    });
  });

  it('reports an engine that does not answer, with a hint', async () => {
    const checks = await localDocker({ dockerOptions: { socketPath: '/nonexistent/docker.sock' } })
      .preflight!(context, targetOf(desiredOf(other, '0001-aaaaa', 8000)));
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'docker-engine', ok: false });
    expect(checks[0]?.hint).toMatch(/Docker engine|DOCKER_HOST/);
  });
});

describe('localDocker with a registry', () => {
  const name = uniqueName('lg');
  const registry = {
    host: env.registry.host,
    username: env.registry.username,
    password: env.registry.password,
  };
  const repository = `${env.registry.host}/berth-test/${name}`;
  let digestRef: string;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // Push the health service under a fresh repository, then drop the local references to it.
    await docker.getImage(env.images.healthService).tag({ repo: repository, tag: 'v1' });
    const stream = await docker
      .getImage(`${repository}:v1`)
      .push({ authconfig: { ...registry, serveraddress: registry.host } });
    const events: { aux?: { Digest?: string }; error?: string }[] = await new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error: unknown, output: typeof events) =>
        error ? reject(error) : resolve(output),
      ),
    );
    const failure = events.find((event) => event.error);
    if (failure) throw new Error(`push failed: ${failure.error}`);
    const digest = events.find((event) => event.aux?.Digest)?.aux?.Digest;
    if (!digest) throw new Error('push reported no digest');
    digestRef = `${repository}@${digest}`;
    await docker.getImage(`${repository}:v1`).remove();
    await docker
      .getImage(digestRef)
      .remove()
      .catch(() => {});
  });

  it('targets berth/<service> in the registry, with its credentials', async () => {
    const target = targetOf(desiredOf(name, '0001-aaaaa', port));
    expect(await providerWith({ registry }).imageTarget?.(context, target)).toEqual({
      registry: registry.host,
      repository: `berth/${target.service}`,
      credentials: { username: registry.username, password: registry.password },
      // Its own engine: an image built there may start before its push ends.
      runsOn: `unix://${env.docker.socketPath}`,
    });
    expect(await providerWith().imageTarget?.(context, target)).toBeUndefined();
  });

  it('cannot pull from the registry without its credentials', async () => {
    const desired = desiredOf(name, '0001-aaaaa', port, {
      image: { ref: digestRef, digest: digestRef.split('@')[1] },
    });
    const error = await providerWith()
      .apply(context, desired, { reason: 'deploy' })
      .catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('REGISTRY_AUTH_FAILED');
  });

  it('pulls a registry digest it does not have, with the configured credentials', async () => {
    const provider = providerWith({ registry });
    const desired = desiredOf(name, '0001-aaaaa', port, {
      image: { ref: digestRef, digest: digestRef.split('@')[1] },
    });
    const outcome = await provider.apply(context, desired, { reason: 'deploy' });
    expect(await revisionOf(outcome.url!)).toBe('0001-aaaaa');
    expect((await provider.observe(context, targetOf(desired)))?.image).toEqual(desired.image);
    const { removed } = await provider.destroy(context, targetOf(desired), { deleteImages: true });
    expect(removed).toEqual([`berth-${name}-dev-0001-aaaaa`, `image:${digestRef}`]);
    await expect(docker.getImage(digestRef).inspect()).rejects.toThrow();
    await expect(docker.getImage(env.images.healthService).inspect()).resolves.toBeDefined();
  });
});
