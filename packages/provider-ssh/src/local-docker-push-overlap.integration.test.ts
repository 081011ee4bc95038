import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDeployer, type Deployer, fileStateStore, type ServiceSpecInput } from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import {
  freePort,
  managedContainers,
  removeServices,
  temporaryFolder,
  testContext,
  testDocker,
  uniqueName,
  waitForStatus,
} from '../test/docker-test-kit.js';
import { localDocker } from './local-docker.js';

// localDocker with a registry runs an image it built on its own engine while the push to the
// registry finishes: the revision starts from the fingerprint tag and is recorded by the pushed digest.

const env = requireTestEnvironment(['docker', 'images', 'registry']);
const docker = testDocker(env.docker.socketPath);
const dockerOptions = { socketPath: env.docker.socketPath };
const fixture = fileURLToPath(new URL('../../../test-support/fixtures/health-service', import.meta.url));
const scratch = await temporaryFolder('berth-push-overlap');
const registry = {
  host: env.registry.host,
  username: env.registry.username,
  password: env.registry.password,
};

/** The registry's digest for `repository:tag`, asked independently of the code under test. */
async function registryDigest(repository: string, tag: string): Promise<string | null> {
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      Accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      Authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`,
    },
  });
  return response.ok ? response.headers.get('docker-content-digest') : null;
}

describe('localDocker with a registry: the revision starts while the push runs', () => {
  const name = uniqueName('po');
  const service = `${name}-dev`;
  const repository = `berth/${service}`;
  let port: number;
  let context: string;
  const stateDir = join(scratch.path, 'state');
  /** Registry requests of the builder that add a tag (`PUT …/manifests/…`) fail while this is set. */
  let refuseTagging = false;
  const builderFetch: typeof fetch = async (input, init) => {
    if (refuseTagging && init?.method === 'PUT')
      return new Response(
        JSON.stringify({ errors: [{ code: 'DENIED', message: 'tagging refused by the test' }] }),
        {
          status: 403,
          headers: { 'Content-Type': 'application/json' },
        },
      );
    return fetch(input, init);
  };
  const deployer = (): Deployer =>
    createDeployer({
      provider: localDocker({
        dockerOptions,
        registry,
        hostPort: port,
        secretsDir: join(scratch.path, 'secrets'),
      }),
      imageBuilder: dockerImageBuilder({ docker, git: false, fetch: builderFetch }),
      state: fileStateStore({ dir: stateDir }),
    });
  const spec = (): ServiceSpecInput => ({
    name,
    image: { build: { context, args: { BASE_IMAGE: env.images.busybox } } },
    port: 8000,
    health: { intervalMs: 100, maxIntervalMs: 500, timeoutMs: 30_000 },
  });

  beforeAll(async () => {
    port = await freePort();
    context = join(scratch.path, 'app');
    await cp(fixture, context, { recursive: true });
    await writeFile(join(context, 'www', 'nonce.txt'), name);
  });
  afterAll(async () => {
    await removeServices(docker, [service]);
    const images = await docker.listImages({ filters: { reference: [`${registry.host}/${repository}`] } });
    for (const image of images)
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
    await scratch.remove();
  });

  it('starts the revision from the fingerprint tag and records the digest the registry has', async () => {
    const result = await deployer().up(spec());
    expect(result.status).toBe('succeeded');
    const [container] = await managedContainers(docker, service);
    const details = await docker.getContainer(container!.Id).inspect();
    // Created before the push ended: from the tag, with no digest label.
    expect(details.Config.Image).toMatch(new RegExp(`^${registry.host}/${repository}:fp-[0-9a-f]{16}$`));
    expect(details.Config.Labels['dev.berth.image-digest']).toBeUndefined();
    const fingerprintTag = details.Config.Image.split(':').at(-1)!;
    const pushed = await registryDigest(repository, fingerprintTag);
    expect(pushed).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.image).toMatchObject({ ref: `${registry.host}/${repository}@${pushed}`, digest: pushed });
    const recorded = await fileStateStore({ dir: stateDir }).read(service);
    expect(recorded?.current?.image).toEqual({
      ref: `${registry.host}/${repository}@${pushed}`,
      digest: pushed,
    });
    expect((await deployer().status(spec())).image).toMatchObject({ digest: pushed });
    // The target is the truth: the engine's record of the push gives the live revision's digest.
    const observed = await localDocker({ dockerOptions, registry, hostPort: port }).observe(testContext(), {
      service,
      name,
      environment: 'dev',
    });
    expect(observed?.image).toEqual({ ref: details.Config.Image, digest: pushed });
    const again = await deployer().up(spec());
    expect(again.status).toBe('noop');
  });

  it('fails a deploy whose push fails and restores the revision that served, recording nothing unpushed', async () => {
    const before = await deployer().status(spec());
    const recordedBefore = (await fileStateStore({ dir: stateDir }).read(service))?.current;
    await writeFile(join(context, 'www', 'nonce.txt'), `${name}-changed`);
    refuseTagging = true;
    const result = await deployer()
      .up(spec())
      .finally(() => {
        refuseTagging = false;
      });
    expect(result.status).toBe('rolled-back');
    expect(result.error?.code).toBe('REGISTRY_AUTH_FAILED');
    expect(result.revision).toBe(before.revision);
    const health = await waitForStatus(`http://127.0.0.1:${port}`, '/.well-known/health', 200);
    expect(JSON.parse(health.body).revision).toBe(before.revision);
    const after = await deployer().status(spec());
    expect(after.revision).toBe(before.revision);
    expect(after.image).toEqual(before.image);
    const recorded = await fileStateStore({ dir: stateDir }).read(service);
    expect(recorded?.current?.image).toEqual(recordedBefore?.image);
    expect(recorded?.history.at(-1)).toMatchObject({
      status: 'rolled-back',
      error: { code: 'REGISTRY_AUTH_FAILED' },
    });
  });
});
