import {
  AppRunnerClient,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeleteServiceCommand,
  DescribeServiceCommand,
  ListOperationsCommand,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-apprunner';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  ListImagesCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateExpressGatewayServiceCommand,
  DeleteExpressGatewayServiceCommand,
  DescribeExpressGatewayServiceCommand,
  DescribeServiceDeploymentsCommand,
  ECSClient,
  type ServiceDeployment,
  UpdateExpressGatewayServiceCommand,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import { type AwsEmulator, startAwsEmulator } from './index.js';

// The emulator with its default runtime: every version is a container pulled from the local
// registry and run on the local Docker engine. Fails (never skips) without the test environment.
const environment = requireTestEnvironment(['docker', 'registry', 'images']);
const registry = environment.registry;
const docker = new Docker({ socketPath: environment.docker.socketPath });
const suffix = Date.now().toString(36);
const repositoryName = `emulator-it/app-${suffix}`;
const label = 'berth.aws-emulator';

let emulator: AwsEmulator;
const logLines: string[] = [];
let ecr: ECRClient;
let appRunner: AppRunnerClient;
let ecs: ECSClient;
let secrets: SecretsManagerClient;
let digest: string;
let imageUri: string;

async function pushWith(
  username: string,
  password: string,
  tag: string,
  repository = repositoryName,
): Promise<void> {
  const local = `${registry.host}/${repository}`;
  await docker.getImage(environment.images.healthService).tag({ repo: local, tag });
  const stream = await docker
    .getImage(`${local}:${tag}`)
    .push({ authconfig: { username, password, serveraddress: registry.host } });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const failed = error ?? output.find((entry) => entry.error);
      if (failed) reject(failed instanceof Error ? failed : new Error(String(failed.error)));
      else resolve();
    }),
  );
  await docker.getImage(`${local}:${tag}`).remove();
}

async function containersOf(service: string): Promise<string[]> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${label}.service=${service}`] },
  });
  return list.map((container) => container.Id);
}

beforeAll(async () => {
  emulator = await startAwsEmulator({
    registry: { host: registry.host, username: registry.username, password: registry.password },
    healthCheckIntervalScale: 0.2,
    log: (line) => logLines.push(line),
    startupTimeoutMs: 60_000,
  });
  ecr = new ECRClient(emulator.clientConfig);
  appRunner = new AppRunnerClient(emulator.clientConfig);
  ecs = new ECSClient(emulator.clientConfig);
  secrets = new SecretsManagerClient(emulator.clientConfig);
}, 60_000);
afterAll(async () => {
  for (const client of [ecr, appRunner, ecs, secrets]) client?.destroy();
  await emulator?.close();
});

describe('ECR against the local registry', () => {
  it('logs in with GetAuthorizationToken, pushes, and describes the image by digest', async () => {
    const { repository } = await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const { authorizationData } = await ecr.send(new GetAuthorizationTokenCommand({}));
    const [username = '', password = ''] = Buffer.from(authorizationData![0]!.authorizationToken!, 'base64')
      .toString()
      .split(':');
    expect(authorizationData?.[0]?.proxyEndpoint).toBe(`http://${registry.host}`);
    await pushWith(username, password, 'v1');
    const { imageDetails } = await ecr.send(
      new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }),
    );
    digest = imageDetails![0]!.imageDigest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(imageDetails?.[0]?.imageTags).toEqual(['v1']);
    imageUri = `${repository!.repositoryUri}@${digest}`;
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: 'missing' }] })),
    ).rejects.toMatchObject({ name: 'ImageNotFoundException' });
    const { images, failures } = await ecr.send(
      new BatchGetImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }, { imageTag: 'missing' }] }),
    );
    expect(images?.[0]?.imageId).toEqual({ imageDigest: digest, imageTag: 'v1' });
    expect(JSON.parse(images![0]!.imageManifest!)).toHaveProperty('schemaVersion', 2);
    expect(failures).toEqual([
      {
        imageId: { imageTag: 'missing' },
        failureCode: 'ImageNotFound',
        failureReason: 'Requested image not found',
      },
    ]);
    expect((await ecr.send(new ListImagesCommand({ repositoryName }))).imageIds).toEqual([
      { imageDigest: digest, imageTag: 'v1' },
    ]);
  });

  it('deletes images with BatchDeleteImage, and a repository with images only with force', async () => {
    const name = `${repositoryName}-delete`;
    await ecr.send(new CreateRepositoryCommand({ repositoryName: name }));
    await pushWith(registry.username, registry.password, 'gone', name);
    await pushWith(registry.username, registry.password, 'kept', `${name}-force`);
    const { imageIds } = await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: name, imageIds: [{ imageTag: 'gone' }] }),
    );
    expect(imageIds?.[0]?.imageDigest).toMatch(/^sha256:/);
    expect((await ecr.send(new DescribeImagesCommand({ repositoryName: name }))).imageDetails).toEqual([]);
    await ecr.send(new CreateRepositoryCommand({ repositoryName: `${name}-force` }));
    await expect(
      ecr.send(new DeleteRepositoryCommand({ repositoryName: `${name}-force` })),
    ).rejects.toMatchObject({
      name: 'RepositoryNotEmptyException',
    });
    await ecr.send(new DeleteRepositoryCommand({ repositoryName: `${name}-force`, force: true }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: `${name}-force` }));
    expect(
      (await ecr.send(new DescribeImagesCommand({ repositoryName: `${name}-force` }))).imageDetails,
    ).toEqual([]);
  });
});

describe('App Runner with Docker containers', () => {
  const name = `it-apprunner-${suffix}`;
  let arn: string;
  let url: string;
  const input = (env: Record<string, string>): CreateServiceCommandInput => ({
    ServiceName: name,
    SourceConfiguration: {
      ImageRepository: {
        ImageIdentifier: imageUri,
        ImageRepositoryType: 'ECR',
        ImageConfiguration: {
          Port: '8000',
          RuntimeEnvironmentVariables: env,
          RuntimeEnvironmentSecrets: secretRefs,
        },
      },
      AutoDeploymentsEnabled: false,
      AuthenticationConfiguration: { AccessRoleArn: 'arn:aws:iam::123456789012:role/AppRunnerECRAccessRole' },
    },
    InstanceConfiguration: { Cpu: '0.25 vCPU', Memory: '0.5 GB' },
    HealthCheckConfiguration: {
      Protocol: 'HTTP',
      Path: '/.well-known/health',
      Interval: 1,
      UnhealthyThreshold: 3,
    },
  });
  let secretRefs: Record<string, string> = {};

  async function settled(): Promise<Service> {
    for (;;) {
      const { Service: service } = await appRunner.send(new DescribeServiceCommand({ ServiceArn: arn }));
      if (service?.Status !== 'OPERATION_IN_PROGRESS') return service!;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const latestOperation = async () =>
    (await appRunner.send(new ListOperationsCommand({ ServiceArn: arn }))).OperationSummaryList?.[0];
  const text = async (path: string) => (await fetch(`${url}${path}`)).text();

  it('creates a service whose container answers on its ServiceUrl, with its secret resolved', async () => {
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: `it/${suffix}/API_KEY`, SecretString: 'docker-secret' }),
    );
    secretRefs = { SUPERVAIZER_API_KEY: ARN! };
    const { Service: service } = await appRunner.send(
      new CreateServiceCommand(input({ BERTH_REVISION: 'one', GREETING: 'hello' })),
    );
    arn = service!.ServiceArn!;
    const running = await settled();
    expect(running.Status).toBe('RUNNING');
    url = `http://${running.ServiceUrl}`;
    expect(JSON.parse(await text('/.well-known/health'))).toEqual({ status: 'ok', revision: 'one' });
    expect(await text('/env/SUPERVAIZER_API_KEY')).toBe('docker-secret');
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('updates: a new container serves the same URL and the old one is removed', async () => {
    const before = await containersOf(name);
    await appRunner.send(
      new UpdateServiceCommand({
        ServiceArn: arn,
        SourceConfiguration: input({ BERTH_REVISION: 'two' }).SourceConfiguration,
      }),
    );
    await expect(
      appRunner.send(
        new UpdateServiceCommand({ ServiceArn: arn, SourceConfiguration: input({}).SourceConfiguration }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidStateException' });
    expect((await settled()).Status).toBe('RUNNING');
    expect((await latestOperation())?.Status).toBe('SUCCEEDED');
    expect(JSON.parse(await text('/.well-known/health')).revision).toBe('two');
    const after = await containersOf(name);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it('rolls back a version whose health check fails: ROLLBACK_SUCCEEDED, the old container keeps serving', async () => {
    await appRunner.send(
      new UpdateServiceCommand({
        ServiceArn: arn,
        SourceConfiguration: input({ BERTH_REVISION: 'three', BERTH_TEST_FAIL_HEALTH: '1' })
          .SourceConfiguration,
      }),
    );
    const service = await settled();
    expect(service.Status).toBe('RUNNING');
    expect((await latestOperation())?.Status).toBe('ROLLBACK_SUCCEEDED');
    expect(
      service.SourceConfiguration?.ImageRepository?.ImageConfiguration?.RuntimeEnvironmentVariables,
    ).toEqual({
      BERTH_REVISION: 'two',
    });
    expect(JSON.parse(await text('/.well-known/health')).revision).toBe('two');
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('rolls back a version whose container crashes', async () => {
    await appRunner.send(
      new UpdateServiceCommand({
        ServiceArn: arn,
        SourceConfiguration: input({ BERTH_REVISION: 'four', BERTH_TEST_CRASH_AFTER_SECONDS: '0' })
          .SourceConfiguration,
      }),
    );
    await settled();
    expect((await latestOperation())?.Status).toBe('ROLLBACK_SUCCEEDED');
    expect(JSON.parse(await text('/.well-known/health')).revision).toBe('two');
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('deletes the service and its container; the URL stops answering', async () => {
    await appRunner.send(new DeleteServiceCommand({ ServiceArn: arn }));
    expect((await settled()).Status).toBe('DELETED');
    expect(await containersOf(name)).toEqual([]);
    expect(logLines.filter((line) => line.startsWith('could not remove'))).toEqual([]);
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('ECS Express with Docker containers', () => {
  const name = `it-express-${suffix}`;
  let serviceArn: string;
  let url: string;
  const container = (env: Record<string, string>) => ({
    image: imageUri,
    containerPort: 8000,
    environment: Object.entries(env).map(([key, value]) => ({ name: key, value })),
  });

  async function settledDeployment(): Promise<ServiceDeployment> {
    for (;;) {
      const { service } = await ecs.send(new DescribeExpressGatewayServiceCommand({ serviceArn }));
      const { serviceDeployments } = await ecs.send(
        new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [service!.currentDeployment!] }),
      );
      const deployment = serviceDeployments![0]!;
      if (!['PENDING', 'IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'].includes(deployment.status!)) return deployment;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('creates, fails a deployment over to the circuit breaker, and deletes through DRAINING to INACTIVE', async () => {
    const { service } = await ecs.send(
      new CreateExpressGatewayServiceCommand({
        serviceName: name,
        infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRoleForExpressServices',
        executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
        healthCheckPath: '/.well-known/health',
        primaryContainer: container({ BERTH_REVISION: 'one' }),
      }),
    );
    serviceArn = service!.serviceArn!;
    expect((await settledDeployment()).status).toBe('SUCCESSFUL');
    url = `http://${service!.activeConfigurations![0]!.ingressPaths![0]!.endpoint}`;
    expect(JSON.parse(await (await fetch(`${url}/.well-known/health`)).text()).revision).toBe('one');

    emulator.faults.failVersions({ service: name, mode: 'health-check' });
    await ecs.send(
      new UpdateExpressGatewayServiceCommand({
        serviceArn,
        primaryContainer: container({ BERTH_REVISION: 'two' }),
      }),
    );
    const failed = await settledDeployment();
    emulator.faults.clear();
    expect(failed.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(failed.deploymentCircuitBreaker?.status).toBe('TRIGGERED');
    expect(JSON.parse(await (await fetch(`${url}/.well-known/health`)).text()).revision).toBe('one');
    expect(await containersOf(name)).toHaveLength(1);

    const deleting = await ecs.send(new DeleteExpressGatewayServiceCommand({ serviceArn }));
    expect(deleting.service?.status?.statusCode).toBe('DRAINING');
    for (;;) {
      const { service: current } = await ecs.send(new DescribeExpressGatewayServiceCommand({ serviceArn }));
      if (current?.status?.statusCode === 'INACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await containersOf(name)).toEqual([]);
  });
});
