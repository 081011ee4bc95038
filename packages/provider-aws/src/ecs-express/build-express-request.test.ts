import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { buildExpressConfiguration } from './build-express-request.js';
import { fargateSize } from './fargate-sizes.js';
import { readExpressService } from './read-express-service.js';

const desired = (extra: Partial<DesiredService> = {}): DesiredService => ({
  service: 'hello-dev',
  name: 'hello',
  environment: 'dev',
  revision: '0003-abcde',
  image: { ref: '127.0.0.1:5000/berth/hello-dev@sha256:aa', digest: 'sha256:aa' },
  port: 8000,
  env: { B: '2', A: '1' },
  secrets: { API_KEY: { ref: 'arn:secret:API_KEY-AbCdEf:::v1', fingerprint: 'hmac-sha256:x' } },
  healthPath: '/health',
  resources: { minInstances: 1, maxInstances: 3 },
  public: true,
  ...extra,
});
const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/hello-dev@sha256:aa';

describe('buildExpressConfiguration', () => {
  it('builds the primary container by digest with env, revision, secrets and the scaling target', () => {
    expect(
      buildExpressConfiguration(desired(), {
        image,
        executionRoleArn: 'arn:aws:iam::1:role/exec',
        cpuArchitecture: 'X86_64',
      }),
    ).toEqual({
      executionRoleArn: 'arn:aws:iam::1:role/exec',
      healthCheckPath: '/health',
      primaryContainer: {
        image,
        containerPort: 8000,
        environment: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
          { name: 'BERTH_REVISION', value: '0003-abcde' },
        ],
        secrets: [{ name: 'API_KEY', valueFrom: 'arn:secret:API_KEY-AbCdEf:::v1' }],
      },
      cpuArchitecture: 'X86_64',
      scalingTarget: { minTaskCount: 1, maxTaskCount: 3 },
    });
  });

  it.each([
    [{}, {}],
    [{ cpu: 0.25 }, { cpu: '256', memory: '512' }],
    [
      { cpu: 1, memory: '4Gi' },
      { cpu: '1024', memory: '4096' },
    ],
    [{ memory: '3Gi' }, { cpu: '512', memory: '3072' }],
    [{ cpu: 0.25, memory: '4Gi' }, undefined],
    [{ cpu: 3 }, undefined],
  ])('Fargate size of %j is %j', (resources, expected) => {
    expect(fargateSize(resources)).toEqual(expected);
  });
});

describe('readExpressService', () => {
  const configuration = (revision: string, arn: string) => ({
    serviceRevisionArn: arn,
    executionRoleArn: 'arn:aws:iam::1:role/exec',
    cpu: '1024',
    memory: '2048',
    primaryContainer: {
      image,
      containerPort: 8000,
      environment: [
        { name: 'BERTH_REVISION', value: revision },
        { name: 'A', value: '1' },
      ],
    },
    ingressPaths: [{ accessType: 'PUBLIC' as const, endpoint: 'hello.ecs.us-east-1.on.aws' }],
  });
  const service = {
    serviceName: 'hello-dev',
    serviceArn: 'arn:aws:ecs:us-east-1:1:service/default/hello-dev',
    status: { statusCode: 'ACTIVE' as const },
    currentDeployment: 'dep-2',
    activeConfigurations: [configuration('0001-a', 'rev-1'), configuration('0002-b', 'rev-2')],
  };

  it('reads the configuration the deployment says serves', () => {
    const done = readExpressService({
      service,
      deployment: {
        serviceDeploymentArn: 'dep-2',
        status: 'SUCCESSFUL',
        targetServiceRevision: { arn: 'rev-2' },
      },
      scheme: 'https',
    });
    expect(done).toMatchObject({
      revision: '0002-b',
      url: 'https://hello.ecs.us-east-1.on.aws',
      env: { A: '1' },
      ready: true,
      resources: { cpu: 1, memory: '2048Mi' },
    });
    const rolledBack = readExpressService({
      service,
      deployment: {
        serviceDeploymentArn: 'dep-2',
        status: 'ROLLBACK_SUCCESSFUL',
        targetServiceRevision: { arn: 'rev-2' },
        rollback: { serviceRevisionArn: 'rev-1' },
      },
      scheme: 'https',
    });
    expect(rolledBack).toMatchObject({ revision: '0001-a', ready: true });
    const inProgress = readExpressService({
      service,
      deployment: {
        serviceDeploymentArn: 'dep-2',
        status: 'IN_PROGRESS',
        sourceServiceRevisions: [{ arn: 'rev-1' }],
        targetServiceRevision: { arn: 'rev-2' },
      },
      scheme: 'https',
    });
    expect(inProgress).toMatchObject({ revision: '0001-a', ready: true });
  });

  it('a failed first deployment serves nothing', () => {
    const failed = readExpressService({
      service: { ...service, activeConfigurations: [] },
      deployment: {
        serviceDeploymentArn: 'dep-1',
        status: 'ROLLBACK_FAILED',
        targetServiceRevision: { arn: 'rev-1' },
      },
      scheme: 'https',
    });
    expect(failed).toMatchObject({ ready: false, running: false });
    expect(failed.revision).toBeUndefined();
  });
});
