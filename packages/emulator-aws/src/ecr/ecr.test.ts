import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsEmulator, startAwsEmulator } from '../index.js';
import { rawCall } from '../test-support/raw-call.js';

// ECR repositories and STS through the official clients. Image listing needs a registry: see the integration test.
let emulator: AwsEmulator;
let ecr: ECRClient;
const clock = Date.UTC(2026, 0, 10, 12, 0, 0);
// A registry with no repositories: the Registry API's 404 for every name. Images are in the integration test.
const emptyRegistry = createServer((_request, response) => {
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
});
let registryHost: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => emptyRegistry.listen(0, '127.0.0.1', () => resolve()));
  registryHost = `127.0.0.1:${(emptyRegistry.address() as AddressInfo).port}`;
  emulator = await startAwsEmulator({
    runtime: inProcessRuntime(),
    region: 'eu-west-1',
    registry: { host: registryHost, username: 'berth', password: 'pw-123456' },
    now: () => clock,
  });
  ecr = new ECRClient({ ...emulator.clientConfig, maxAttempts: 1 });
});
afterAll(async () => {
  ecr.destroy();
  await emulator.close();
  await new Promise((resolve) => emptyRegistry.close(resolve));
});

describe('ECR', () => {
  it('creates a repository with the real ARN and URI formats and its tags', async () => {
    const { repository } = await ecr.send(
      new CreateRepositoryCommand({
        repositoryName: 'berth/app',
        tags: [{ Key: 'managed-by', Value: 'berth' }],
      }),
    );
    expect(repository).toMatchObject({
      repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/berth/app',
      registryId: '123456789012',
      repositoryUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/app',
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    expect(repository?.createdAt?.getTime()).toBe(clock);
    const tags = await ecr.send(new ListTagsForResourceCommand({ resourceArn: repository!.repositoryArn }));
    expect(tags.tags).toEqual([{ Key: 'managed-by', Value: 'berth' }]);
  });

  it('refuses a duplicate and an invalid name; an unknown name is RepositoryNotFoundException with message', async () => {
    await expect(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'berth/app' })),
    ).rejects.toMatchObject({
      name: 'RepositoryAlreadyExistsException',
    });
    await expect(
      ecr.send(new CreateRepositoryCommand({ repositoryName: 'Upper/Case' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })),
    ).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
      message: "The repository with name 'nope' does not exist in the registry with id '123456789012'",
    });
    const response = await rawCall(emulator, {
      target: 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      service: 'ecr',
      jsonVersion: '1.1',
      body: { repositoryNames: ['nope'] },
    });
    expect(await response.json()).toEqual({
      __type: 'RepositoryNotFoundException',
      message: "The repository with name 'nope' does not exist in the registry with id '123456789012'",
    });
  });

  it('maps GetAuthorizationToken to the local registry: base64 user:password, 12 hours, proxyEndpoint', async () => {
    const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
    const [data] = authorizationData ?? [];
    expect(Buffer.from(data!.authorizationToken!, 'base64').toString()).toBe('berth:pw-123456');
    expect(data?.expiresAt?.getTime()).toBe(clock + 12 * 3_600_000);
    expect(data?.proxyEndpoint).toBe(`http://${registryHost}`);
  });

  it('serves each region on its own', async () => {
    const other = new ECRClient({ ...emulator.clientConfig, region: 'us-west-2', maxAttempts: 1 });
    const { repositories } = await other.send(new DescribeRepositoriesCommand({}));
    other.destroy();
    expect(repositories).toEqual([]);
  });

  it('deletes an empty repository', async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'to-delete' }));
    expect((await ecr.send(new DescribeImagesCommand({ repositoryName: 'to-delete' }))).imageDetails).toEqual(
      [],
    );
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'to-delete' }));
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['to-delete'] })),
    ).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
    });
  });
});

describe('STS', () => {
  it('answers GetCallerIdentity for the emulator account', async () => {
    const sts = new STSClient({ ...emulator.clientConfig, maxAttempts: 1 });
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(identity).toMatchObject({
      Account: '123456789012',
      Arn: 'arn:aws:iam::123456789012:user/emulator',
    });
  });

  it('refuses a wrong secret key with SignatureDoesNotMatch', async () => {
    const sts = new STSClient({
      ...emulator.clientConfig,
      credentials: { ...emulator.clientConfig.credentials, secretAccessKey: 'wrong' },
      maxAttempts: 1,
    });
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    sts.destroy();
  });

  it('refuses an unknown access key', async () => {
    const sts = new STSClient({
      ...emulator.clientConfig,
      credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      $metadata: { httpStatusCode: 403 },
    });
    sts.destroy();
  });
});
