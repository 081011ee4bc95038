import {
  AppRunnerClient,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  DeleteServiceCommand,
  DescribeServiceCommand,
  ListOperationsCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  PauseServiceCommand,
  ResumeServiceCommand,
  type Service,
  StartDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-apprunner';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsEmulator, startAwsEmulator } from '../index.js';
import { rawCall } from '../test-support/raw-call.js';

// App Runner through the official client, versions served by in-process HTTP servers.
let emulator: AwsEmulator;
let client: AppRunnerClient;
let secrets: SecretsManagerClient;
const runtime = inProcessRuntime();
beforeAll(async () => {
  emulator = await startAwsEmulator({ runtime, healthCheckIntervalScale: 0.01 });
  client = new AppRunnerClient({ ...emulator.clientConfig, maxAttempts: 1 });
  secrets = new SecretsManagerClient({ ...emulator.clientConfig, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  secrets.destroy();
  await emulator.close();
});

const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:' + 'a'.repeat(64);
const role = 'arn:aws:iam::123456789012:role/AppRunnerECRAccessRole';
const input = (name: string, extra: Record<string, string> = {}): CreateServiceCommandInput => ({
  ServiceName: name,
  SourceConfiguration: {
    ImageRepository: {
      ImageIdentifier: image,
      ImageRepositoryType: 'ECR',
      ImageConfiguration: { Port: '8000', RuntimeEnvironmentVariables: { GREETING: 'hello', ...extra } },
    },
    AutoDeploymentsEnabled: false,
    AuthenticationConfiguration: { AccessRoleArn: role },
  },
  HealthCheckConfiguration: {
    Protocol: 'HTTP',
    Path: '/.well-known/health',
    Interval: 1,
    UnhealthyThreshold: 2,
  },
});

async function settled(arn: string): Promise<Service> {
  for (;;) {
    const { Service: service } = await client.send(new DescribeServiceCommand({ ServiceArn: arn }));
    if (service?.Status !== 'OPERATION_IN_PROGRESS') return service!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function operations(arn: string) {
  return (await client.send(new ListOperationsCommand({ ServiceArn: arn }))).OperationSummaryList ?? [];
}

describe('App Runner services', () => {
  let arn: string;
  let url: string;

  it('creates a service through OPERATION_IN_PROGRESS to RUNNING, with a bare-host ServiceUrl that answers', async () => {
    const created = await client.send(
      new CreateServiceCommand({ ...input('wire-app'), Tags: [{ Key: 'managed-by', Value: 'berth' }] }),
    );
    const service = created.Service!;
    arn = service.ServiceArn!;
    expect(arn).toMatch(/^arn:aws:apprunner:us-east-1:123456789012:service\/wire-app\/[0-9a-f]{32}$/);
    expect(service.ServiceId).toMatch(/^[0-9a-f]{32}$/);
    expect(service.Status).toBe('OPERATION_IN_PROGRESS');
    expect(service.CreatedAt).toBeInstanceOf(Date);
    expect(service.ServiceUrl).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(service.InstanceConfiguration).toEqual({ Cpu: '1024', Memory: '2048' });
    expect(service.HealthCheckConfiguration).toEqual({
      Protocol: 'HTTP',
      Path: '/.well-known/health',
      Interval: 1,
      Timeout: 2,
      HealthyThreshold: 1,
      UnhealthyThreshold: 2,
    });
    expect(service.SourceConfiguration?.AutoDeploymentsEnabled).toBe(false);
    expect(created.OperationId).toMatch(/^[0-9a-f]{32}$/);
    const running = await settled(arn);
    expect(running.Status).toBe('RUNNING');
    url = `http://${running.ServiceUrl}`;
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('hello');
    expect(await (await fetch(`${url}/env/PORT`)).text()).toBe('8000');
    const [operation] = await operations(arn);
    expect(operation).toMatchObject({
      Id: created.OperationId,
      Type: 'CREATE_SERVICE',
      Status: 'SUCCEEDED',
      TargetArn: arn,
    });
    expect(operation?.EndedAt).toBeInstanceOf(Date);
    expect((await client.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: 'managed-by', Value: 'berth' },
    ]);
  });

  it('allows one operation at a time: InvalidStateException while an update runs', async () => {
    // Hold the operation open until the other calls were refused.
    emulator.setLatency({ operationMs: 600_000 });
    const update = await client.send(
      new UpdateServiceCommand({
        ServiceArn: arn,
        SourceConfiguration: input('wire-app', { GREETING: 'bonjour' }).SourceConfiguration,
      }),
    );
    expect(update.Service?.Status).toBe('OPERATION_IN_PROGRESS');
    await expect(
      client.send(
        new UpdateServiceCommand({
          ServiceArn: arn,
          SourceConfiguration: input('wire-app').SourceConfiguration,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidStateException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(client.send(new DeleteServiceCommand({ ServiceArn: arn }))).rejects.toMatchObject({
      name: 'InvalidStateException',
    });
    expect((await operations(arn))[0]).toMatchObject({ Type: 'UPDATE_SERVICE', Status: 'IN_PROGRESS' });
    emulator.setLatency({ operationMs: 0 });
    expect((await settled(arn)).Status).toBe('RUNNING');
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('bonjour');
    expect((await operations(arn))[0]).toMatchObject({ Type: 'UPDATE_SERVICE', Status: 'SUCCEEDED' });
  });

  it('rolls a deployment that fails its health check back by itself: RUNNING on the old version, ROLLBACK_SUCCEEDED', async () => {
    const update = await client.send(
      new UpdateServiceCommand({
        ServiceArn: arn,
        SourceConfiguration: input('wire-app', { GREETING: 'broken', BERTH_TEST_FAIL_HEALTH: '1' })
          .SourceConfiguration,
      }),
    );
    const service = await settled(arn);
    expect(service.Status).toBe('RUNNING');
    expect(
      service.SourceConfiguration?.ImageRepository?.ImageConfiguration?.RuntimeEnvironmentVariables?.GREETING,
    ).toBe('bonjour');
    expect((await operations(arn))[0]).toMatchObject({
      Id: update.OperationId,
      Type: 'UPDATE_SERVICE',
      Status: 'ROLLBACK_SUCCEEDED',
    });
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('bonjour');
  });

  it('rolls back a version that crashes (fault injection) the same way', async () => {
    emulator.faults.failVersions({ service: 'wire-app', mode: 'crash', times: 1 });
    await client.send(
      new UpdateServiceCommand({
        ServiceArn: arn,
        SourceConfiguration: input('wire-app', { GREETING: 'crash' }).SourceConfiguration,
      }),
    );
    await settled(arn);
    expect((await operations(arn))[0]?.Status).toBe('ROLLBACK_SUCCEEDED');
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('bonjour');
  });

  it('redeploys with StartDeployment, pauses and resumes', async () => {
    const { OperationId } = await client.send(new StartDeploymentCommand({ ServiceArn: arn }));
    await settled(arn);
    expect((await operations(arn))[0]).toMatchObject({
      Id: OperationId,
      Type: 'START_DEPLOYMENT',
      Status: 'SUCCEEDED',
    });
    await client.send(new PauseServiceCommand({ ServiceArn: arn }));
    expect((await settled(arn)).Status).toBe('PAUSED');
    expect((await fetch(url)).status).toBe(404);
    await client.send(new ResumeServiceCommand({ ServiceArn: arn }));
    expect((await settled(arn)).Status).toBe('RUNNING');
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('bonjour');
  });

  it('passes RuntimeEnvironmentSecrets by ARN, pinned to a version when the ARN names one', async () => {
    const created = await secrets.send(
      new CreateSecretCommand({ Name: 'wire/API_KEY', SecretString: 'value-one' }),
    );
    await secrets.send(new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'value-two' }));
    const source = input('wire-secrets').SourceConfiguration!;
    source.ImageRepository!.ImageConfiguration!.RuntimeEnvironmentSecrets = {
      API_KEY: created.ARN!,
      PINNED: `${created.ARN}::AWSPREVIOUS:`,
    };
    const { Service: service } = await client.send(
      new CreateServiceCommand({ ...input('wire-secrets'), SourceConfiguration: source }),
    );
    const running = await settled(service!.ServiceArn!);
    expect(running.Status).toBe('RUNNING');
    expect(await (await fetch(`http://${running.ServiceUrl}/env/API_KEY`)).text()).toBe('value-two');
    expect(await (await fetch(`http://${running.ServiceUrl}/env/PINNED`)).text()).toBe('value-one');
  });

  it('ends in CREATE_FAILED when the first version never becomes healthy; such a service can only be deleted', async () => {
    const { Service: service } = await client.send(
      new CreateServiceCommand(input('wire-failing', { BERTH_TEST_FAIL_HEALTH: '1' })),
    );
    const failed = await settled(service!.ServiceArn!);
    expect(failed.Status).toBe('CREATE_FAILED');
    expect((await operations(failed.ServiceArn!))[0]).toMatchObject({
      Type: 'CREATE_SERVICE',
      Status: 'FAILED',
    });
    await expect(
      client.send(
        new UpdateServiceCommand({
          ServiceArn: failed.ServiceArn,
          SourceConfiguration: input('wire-failing').SourceConfiguration,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidStateException' });
    await client.send(new DeleteServiceCommand({ ServiceArn: failed.ServiceArn }));
    expect((await settled(failed.ServiceArn!)).Status).toBe('DELETED');
  });

  it('deletes: DELETE_SERVICE, then DELETED with DeletedAt, gone from the list, the URL no longer answers', async () => {
    const deleting = await client.send(new DeleteServiceCommand({ ServiceArn: arn }));
    expect(deleting.Service?.Status).toBe('OPERATION_IN_PROGRESS');
    const deleted = await settled(arn);
    expect(deleted.Status).toBe('DELETED');
    expect(deleted.DeletedAt).toBeInstanceOf(Date);
    const listed = await client.send(new ListServicesCommand({}));
    expect(listed.ServiceSummaryList?.map((service) => service.ServiceName)).not.toContain('wire-app');
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('App Runner validation', () => {
  it.each([
    ['a short ServiceName', { ServiceName: 'abc' }, 'ValidationException'],
    ['a ServiceName with a dot', { ServiceName: 'my.service' }, 'ValidationException'],
  ])('refuses %s', async (_label, change, code) => {
    await expect(
      client.send(new CreateServiceCommand({ ...input('valid-name'), ...change })),
    ).rejects.toMatchObject({
      name: code,
    });
  });

  it('requires ImageIdentifier to be an ECR reference', async () => {
    const source = input('not-ecr').SourceConfiguration!;
    source.ImageRepository!.ImageIdentifier = 'docker.io/library/nginx:latest';
    await expect(
      client.send(new CreateServiceCommand({ ...input('not-ecr'), SourceConfiguration: source })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("at 'sourceConfiguration.imageRepository.imageIdentifier'"),
    });
  });

  it.each([
    'Interval',
    'Timeout',
    'HealthyThreshold',
    'UnhealthyThreshold',
  ])('keeps HealthCheckConfiguration.%s within 1–20', async (field) => {
    for (const value of [0, 21])
      await expect(
        client.send(
          new CreateServiceCommand({
            ...input('health-range'),
            HealthCheckConfiguration: { [field]: value },
          }),
        ),
      ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('requires an access role for private ECR, a supported CPU/memory pair, and no AWSAPPRUNNER variables', async () => {
    const noRole = input('no-role').SourceConfiguration!;
    delete noRole.AuthenticationConfiguration;
    await expect(
      client.send(new CreateServiceCommand({ ...input('no-role'), SourceConfiguration: noRole })),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await expect(
      client.send(
        new CreateServiceCommand({
          ...input('bad-size'),
          InstanceConfiguration: { Cpu: '0.25 vCPU', Memory: '4 GB' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });
    await expect(
      client.send(new CreateServiceCommand(input('reserved', { AWSAPPRUNNER_X: '1' }))),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
  });

  it('answers an unknown service ARN with ResourceNotFoundException and Message', async () => {
    const error = await client
      .send(
        new DescribeServiceCommand({ ServiceArn: 'arn:aws:apprunner:us-east-1:123456789012:service/x/0' }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      name: 'ResourceNotFoundException',
      message: expect.stringContaining('not found'),
    });
  });

  it('speaks awsJson1_0 on the wire: errors carry __type and Message, timestamps are epoch seconds', async () => {
    const missing = await rawCall(emulator, {
      target: 'AppRunner.DescribeService',
      service: 'apprunner',
      jsonVersion: '1.0',
      body: { ServiceArn: 'arn:aws:apprunner:us-east-1:123456789012:service/x/0' },
    });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(await missing.json()).toEqual({
      __type: 'ResourceNotFoundException',
      Message: 'Resource arn:aws:apprunner:us-east-1:123456789012:service/x/0 is not found',
    });
    const listed = await rawCall(emulator, {
      target: 'AppRunner.ListServices',
      service: 'apprunner',
      jsonVersion: '1.0',
      body: {},
    });
    const body = (await listed.json()) as { ServiceSummaryList: { CreatedAt: unknown }[] };
    expect(typeof body.ServiceSummaryList[0]?.CreatedAt).toBe('number');
    const unsigned = await fetch(emulator.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AppRunner.ListServices' },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
    expect(((await unsigned.json()) as { __type: string }).__type).toBe(
      'MissingAuthenticationTokenException',
    );
  });
});
