import { inProcessRuntime } from '@berth/emulator-runtime';
import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcpEmulator, startGcpEmulator, staticTokenAuthClient } from './index.js';
import { crc32c } from './secret-manager/crc32c.js';

// Secret Manager and Artifact Registry through the official clients (REST transport).
let emulator: GcpEmulator;
let secrets: SecretManagerServiceClient;
let registry: ArtifactRegistryClient;
beforeAll(async () => {
  emulator = await startGcpEmulator({
    runtime: inProcessRuntime(),
    projectNumbers: { 'client-project': '123456789012' },
  });
  const options = { ...emulator.clientOptions, authClient: staticTokenAuthClient() };
  secrets = new SecretManagerServiceClient(options);
  registry = new ArtifactRegistryClient(options);
});
afterAll(async () => {
  await secrets.close();
  await registry.close();
  await emulator.close();
});

describe('Secret Manager v1', () => {
  const parent = 'projects/client-project';

  it('creates secrets named by project number, with versions, checksums and the latest alias', async () => {
    const [secret] = await secrets.createSecret({
      parent,
      secretId: 'api-key',
      secret: { replication: { automatic: {} }, labels: { 'managed-by': 'berth' } },
    });
    expect(secret.name).toBe('projects/123456789012/secrets/api-key');
    const data = Buffer.from('s3cret');
    const [version] = await secrets.addSecretVersion({
      parent: secret.name!,
      payload: { data, dataCrc32c: crc32c(data) },
    });
    expect(version.name).toBe('projects/123456789012/secrets/api-key/versions/1');
    expect(version.state).toBe('ENABLED');
    await secrets.addSecretVersion({
      parent: `${parent}/secrets/api-key`,
      payload: { data: Buffer.from('two') },
    });
    const [latest] = await secrets.accessSecretVersion({ name: `${parent}/secrets/api-key/versions/latest` });
    expect(latest.name).toBe('projects/123456789012/secrets/api-key/versions/2');
    expect(Buffer.from(latest.payload!.data as Uint8Array).toString()).toBe('two');
    expect(Number(latest.payload!.dataCrc32c)).toBe(crc32c(Buffer.from('two')));
  });

  it('rejects a payload whose checksum does not match', async () => {
    await expect(
      secrets.addSecretVersion({
        parent: `${parent}/secrets/api-key`,
        payload: { data: Buffer.from('x'), dataCrc32c: 1 },
      }),
    ).rejects.toMatchObject({ code: 3 });
  });

  it('requires a replication policy and refuses duplicates', async () => {
    await expect(
      secrets.createSecret({ parent, secretId: 'no-replication', secret: {} }),
    ).rejects.toMatchObject({ code: 3 });
    await expect(
      secrets.createSecret({ parent, secretId: 'api-key', secret: { replication: { automatic: {} } } }),
    ).rejects.toMatchObject({ code: 6 });
  });

  it('only gives access to enabled versions; destroyed is final', async () => {
    const name = `${parent}/secrets/api-key/versions/1`;
    await secrets.disableSecretVersion({ name });
    await expect(secrets.accessSecretVersion({ name })).rejects.toMatchObject({ code: 9 });
    await secrets.destroySecretVersion({ name });
    await expect(secrets.enableSecretVersion({ name })).rejects.toMatchObject({ code: 9 });
    const [destroyed] = await secrets.getSecretVersion({ name });
    expect(destroyed.state).toBe('DESTROYED');
  });

  it('filters the list by label and updates through a field mask', async () => {
    await secrets.createSecret({ parent, secretId: 'other', secret: { replication: { automatic: {} } } });
    const [owned] = await secrets.listSecrets({ parent, filter: 'labels.managed-by=berth' });
    expect(owned.map((secret) => secret.name)).toEqual(['projects/123456789012/secrets/api-key']);
    const [updated] = await secrets.updateSecret({
      secret: { name: `${parent}/secrets/other`, labels: { team: 'a' } },
      updateMask: { paths: ['labels'] },
    });
    expect(updated.labels).toEqual({ team: 'a' });
    await expect(
      secrets.updateSecret({
        secret: { name: `${parent}/secrets/other`, etag: '"old"', labels: {} },
        updateMask: { paths: ['labels'] },
      }),
    ).rejects.toMatchObject({ code: 10 });
  });
});

describe('Artifact Registry v1', () => {
  const parent = 'projects/client-project/locations/europe-west1';

  it('creates a Docker repository through an operation', async () => {
    const [operation] = await registry.createRepository({
      parent,
      repositoryId: 'berth',
      repository: { format: 'DOCKER' },
    });
    const [repository] = await operation.promise();
    expect(repository.name).toBe(`${parent}/repositories/berth`);
    expect(repository.registryUri).toBe('europe-west1-docker.pkg.dev/client-project/berth');
    const [found] = await registry.getRepository({ name: `${parent}/repositories/berth` });
    expect(found.format).toBe('DOCKER');
    await expect(
      registry.createRepository({ parent, repositoryId: 'berth', repository: { format: 'DOCKER' } }),
    ).rejects.toMatchObject({
      code: 6,
    });
    await expect(
      registry.createRepository({ parent, repositoryId: 'nofmt', repository: {} }),
    ).rejects.toMatchObject({ code: 3 });
  });
});
