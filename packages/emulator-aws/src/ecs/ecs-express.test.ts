import {
  CreateExpressGatewayServiceCommand,
  type CreateExpressGatewayServiceCommandInput,
  DeleteExpressGatewayServiceCommand,
  DescribeExpressGatewayServiceCommand,
  DescribeServiceDeploymentsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  type ServiceDeployment,
  UpdateExpressGatewayServiceCommand,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsEmulator, startAwsEmulator } from '../index.js';

// ECS Express Mode through the official client, tasks served by in-process HTTP servers.
let emulator: AwsEmulator;
let client: ECSClient;
let secrets: SecretsManagerClient;
beforeAll(async () => {
  emulator = await startAwsEmulator({ runtime: inProcessRuntime(), healthCheckIntervalScale: 0.001 });
  client = new ECSClient({ ...emulator.clientConfig, maxAttempts: 1 });
  secrets = new SecretsManagerClient({ ...emulator.clientConfig, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  secrets.destroy();
  await emulator.close();
});

const roles = {
  infrastructureRoleArn: 'arn:aws:iam::123456789012:role/ecsInfrastructureRoleForExpressServices',
  executionRoleArn: 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole',
};
const input = (name: string, env: Record<string, string> = {}): CreateExpressGatewayServiceCommandInput => ({
  ...roles,
  serviceName: name,
  healthCheckPath: '/.well-known/health',
  primaryContainer: {
    image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:' + 'b'.repeat(64),
    containerPort: 8000,
    environment: Object.entries({ GREETING: 'hello', ...env }).map(([name, value]) => ({ name, value })),
  },
});

async function settledDeployment(arn: string): Promise<ServiceDeployment> {
  for (;;) {
    const { serviceDeployments } = await client.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }),
    );
    const deployment = serviceDeployments?.[0];
    if (
      deployment &&
      !['PENDING', 'IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'STOP_REQUESTED'].includes(deployment.status!)
    )
      return deployment;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function endpointOf(serviceArn: string): Promise<string> {
  const { service } = await client.send(new DescribeExpressGatewayServiceCommand({ serviceArn }));
  return `http://${service?.activeConfigurations?.[0]?.ingressPaths?.[0]?.endpoint}`;
}

describe('ECS Express Gateway services', () => {
  let serviceArn: string;
  let url: string;

  it('creates an ACTIVE service whose first deployment succeeds and whose ingress endpoint answers', async () => {
    const { service } = await client.send(
      new CreateExpressGatewayServiceCommand({
        ...input('express-app'),
        tags: [{ key: 'managed-by', value: 'berth' }],
      }),
    );
    serviceArn = service!.serviceArn!;
    expect(serviceArn).toBe('arn:aws:ecs:us-east-1:123456789012:service/default/express-app');
    expect(service?.cluster).toBe('arn:aws:ecs:us-east-1:123456789012:cluster/default');
    expect(service?.status?.statusCode).toBe('ACTIVE');
    expect(service?.currentDeployment).toMatch(
      /^arn:aws:ecs:us-east-1:123456789012:service-deployment\/default\/express-app\/[A-Za-z0-9]+$/,
    );
    expect(service?.activeConfigurations?.[0]).toMatchObject({
      cpu: '1024',
      memory: '2048',
      healthCheckPath: '/.well-known/health',
      ingressPaths: [{ accessType: 'PUBLIC', endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) }],
    });
    const deployment = await settledDeployment(service!.currentDeployment!);
    expect(deployment).toMatchObject({
      status: 'SUCCESSFUL',
      serviceArn,
      deploymentCircuitBreaker: { status: 'MONITORING_COMPLETE', failureCount: 0, threshold: 3 },
    });
    expect(deployment.targetServiceRevision?.arn).toMatch(/:service-revision\/default\/express-app\//);
    expect(deployment.finishedAt).toBeInstanceOf(Date);
    url = await endpointOf(serviceArn);
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('hello');
  });

  it('updates through a new deployment to a new revision on the same endpoint', async () => {
    const { service } = await client.send(
      new UpdateExpressGatewayServiceCommand({
        serviceArn,
        primaryContainer: input('x', { GREETING: 'bonjour' }).primaryContainer,
      }),
    );
    expect(service?.targetConfiguration?.primaryContainer?.environment).toEqual([
      { name: 'GREETING', value: 'bonjour' },
    ]);
    const { serviceDeployments } = await client.send(
      new ListServiceDeploymentsCommand({ service: serviceArn }),
    );
    expect(serviceDeployments).toHaveLength(2);
    const latest = await settledDeployment(serviceDeployments![0]!.serviceDeploymentArn!);
    expect(latest.status).toBe('SUCCESSFUL');
    expect(latest.sourceServiceRevisions).toHaveLength(1);
    expect(await endpointOf(serviceArn)).toBe(url);
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('bonjour');
  });

  it('rolls a deployment whose tasks fail their health check back with the circuit breaker', async () => {
    await client.send(
      new UpdateExpressGatewayServiceCommand({
        serviceArn,
        primaryContainer: input('x', { GREETING: 'broken', BERTH_TEST_FAIL_HEALTH: '1' }).primaryContainer,
      }),
    );
    const { service } = await client.send(new DescribeExpressGatewayServiceCommand({ serviceArn }));
    const deployment = await settledDeployment(service!.currentDeployment!);
    expect(deployment).toMatchObject({
      status: 'ROLLBACK_SUCCESSFUL',
      deploymentCircuitBreaker: { status: 'TRIGGERED', failureCount: 3, threshold: 3 },
    });
    expect(deployment.rollback?.serviceRevisionArn).toBe(deployment.sourceServiceRevisions?.[0]?.arn);
    expect(await (await fetch(`${url}/env/GREETING`)).text()).toBe('bonjour');
    const rolledBack = await client.send(
      new ListServiceDeploymentsCommand({ service: 'express-app', status: ['ROLLBACK_SUCCESSFUL'] }),
    );
    expect(rolledBack.serviceDeployments).toHaveLength(1);
  });

  it('stops a deployment that a newer one replaces', async () => {
    emulator.setLatency({ operationMs: 600_000 });
    await client.send(new UpdateExpressGatewayServiceCommand({ serviceArn, cpu: '512', memory: '1024' }));
    await client.send(new UpdateExpressGatewayServiceCommand({ serviceArn, cpu: '256', memory: '512' }));
    emulator.setLatency({ operationMs: 0 });
    const { serviceDeployments } = await client.send(
      new ListServiceDeploymentsCommand({ service: serviceArn }),
    );
    const [newest, replaced] = [
      await settledDeployment(serviceDeployments![0]!.serviceDeploymentArn!),
      await settledDeployment(serviceDeployments![1]!.serviceDeploymentArn!),
    ];
    expect(replaced.status).toBe('STOPPED');
    expect(newest.status).toBe('SUCCESSFUL');
  });

  it('resolves secrets by ARN; a primary container needs an execution role', async () => {
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: 'express/API_KEY', SecretString: 'express-secret' }),
    );
    const container = { ...input('x').primaryContainer!, secrets: [{ name: 'API_KEY', valueFrom: ARN! }] };
    await expect(
      client.send(
        new CreateExpressGatewayServiceCommand({
          infrastructureRoleArn: roles.infrastructureRoleArn,
          serviceName: 'express-secrets',
          primaryContainer: container,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'executionRoleArn is required when primaryContainer is specified.',
    });
    const { service } = await client.send(
      new CreateExpressGatewayServiceCommand({ ...input('express-secrets'), primaryContainer: container }),
    );
    await settledDeployment(service!.currentDeployment!);
    expect(await (await fetch(`${await endpointOf(service!.serviceArn!)}/env/API_KEY`)).text()).toBe(
      'express-secret',
    );
  });

  it('validates as ECS does', async () => {
    await expect(
      client.send(
        new CreateExpressGatewayServiceCommand({ ...input('bad-size'), cpu: '256', memory: '4096' }),
      ),
    ).rejects.toMatchObject({
      name: 'ClientException',
      message: 'No Fargate configuration exists for given values: 256 CPU, 4096 memory.',
    });
    await expect(
      client.send(new CreateExpressGatewayServiceCommand(input('express-app'))),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'Creation of service was not idempotent.',
    });
    await expect(
      client.send(
        new DescribeExpressGatewayServiceCommand({
          serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/default/none',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ServiceNotFoundException' });
    const missing = await client.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: ['arn:aws:ecs:us-east-1:123456789012:service-deployment/default/x/y'],
      }),
    );
    expect(missing.failures).toEqual([
      { arn: 'arn:aws:ecs:us-east-1:123456789012:service-deployment/default/x/y', reason: 'MISSING' },
    ]);
  });

  it('deletes through DRAINING to INACTIVE; an inactive service takes no updates', async () => {
    emulator.setLatency({ operationMs: 600_000 });
    const { service } = await client.send(new DeleteExpressGatewayServiceCommand({ serviceArn }));
    expect(service?.status?.statusCode).toBe('DRAINING');
    await expect(
      client.send(new UpdateExpressGatewayServiceCommand({ serviceArn, cpu: '512', memory: '1024' })),
    ).rejects.toMatchObject({
      name: 'ServiceNotActiveException',
    });
    emulator.setLatency({ operationMs: 0 });
    for (;;) {
      const { service: current } = await client.send(
        new DescribeExpressGatewayServiceCommand({ serviceArn }),
      );
      if (current?.status?.statusCode === 'INACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await expect(fetch(url)).rejects.toThrow();
  });
});
