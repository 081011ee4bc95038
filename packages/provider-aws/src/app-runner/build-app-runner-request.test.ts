import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { appRunnerInstance, memoryOf, vcpusOf } from './app-runner-sizes.js';
import { buildServiceConfiguration } from './build-app-runner-request.js';

const desired = (extra: Partial<DesiredService> = {}): DesiredService => ({
  service: 'hello-dev',
  name: 'hello',
  environment: 'dev',
  revision: '0003-abcde',
  image: { ref: '127.0.0.1:5000/berth/hello-dev@sha256:aa', digest: 'sha256:aa' },
  port: 8000,
  env: { GREETING: 'hi' },
  secrets: {
    API_KEY: {
      ref: 'arn:aws:secretsmanager:us-east-1:1:secret:berth/hello-dev/API_KEY-AbCdEf:::v1',
      fingerprint: 'hmac-sha256:x',
    },
  },
  healthPath: '/health',
  health: {
    path: '/health',
    port: 8000,
    intervalMs: 2_500,
    maxIntervalMs: 5_000,
    timeoutMs: 60_000,
    attemptTimeoutMs: 4_000,
    successThreshold: 2,
  },
  resources: {},
  public: true,
  ...extra,
});
const input = {
  imageIdentifier: '123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/hello-dev@sha256:aa',
  accessRoleArn: 'arn:aws:iam::123456789012:role/AppRunnerECRAccessRole',
  unhealthyThreshold: 5,
};

describe('buildServiceConfiguration', () => {
  it('deploys the ECR image by digest with env, Berth revision, pinned secrets, no auto deployments', () => {
    const configuration = buildServiceConfiguration(desired(), input);
    expect(configuration.SourceConfiguration).toEqual({
      ImageRepository: {
        ImageIdentifier: input.imageIdentifier,
        ImageRepositoryType: 'ECR',
        ImageConfiguration: {
          Port: '8000',
          RuntimeEnvironmentVariables: { GREETING: 'hi', BERTH_REVISION: '0003-abcde' },
          RuntimeEnvironmentSecrets: {
            API_KEY: 'arn:aws:secretsmanager:us-east-1:1:secret:berth/hello-dev/API_KEY-AbCdEf:::v1',
          },
        },
      },
      AuthenticationConfiguration: { AccessRoleArn: input.accessRoleArn },
      AutoDeploymentsEnabled: false,
    });
  });

  it('maps the spec health settings to an HTTP health check in seconds', () => {
    expect(buildServiceConfiguration(desired(), input).HealthCheckConfiguration).toEqual({
      Protocol: 'HTTP',
      Path: '/health',
      Interval: 3,
      Timeout: 4,
      HealthyThreshold: 2,
      UnhealthyThreshold: 5,
    });
  });

  it('maps resources to an instance size, the instance role and public ingress', () => {
    const configuration = buildServiceConfiguration(
      desired({ resources: { cpu: 0.25, memory: '512Mi' }, public: false }),
      {
        ...input,
        instanceRoleArn: 'arn:aws:iam::123456789012:role/Instance',
      },
    );
    expect(configuration.InstanceConfiguration).toEqual({
      Cpu: '256',
      Memory: '512',
      InstanceRoleArn: 'arn:aws:iam::123456789012:role/Instance',
    });
    expect(configuration.NetworkConfiguration).toEqual({
      IngressConfiguration: { IsPubliclyAccessible: false },
    });
  });

  it('refuses an instance size App Runner does not have', () => {
    expect(() => buildServiceConfiguration(desired({ resources: { cpu: 3 } }), input)).toThrow(/cpu\/memory/);
  });
});

describe('App Runner sizes', () => {
  it.each([
    [{}, {}],
    [{ cpu: 1 }, { Cpu: '1024', Memory: '2048' }],
    [{ memory: '1Gi' }, { Cpu: '256', Memory: '1024' }],
    [
      { cpu: 2, memory: '6Gi' },
      { Cpu: '2048', Memory: '6144' },
    ],
    [{ cpu: 0.5, memory: '2Gi' }, undefined],
    [{ cpu: 8 }, undefined],
  ])('%j → %j', (resources, expected) => {
    expect(appRunnerInstance(resources)).toEqual(expected);
  });

  it('reads both forms App Runner reports', () => {
    expect(vcpusOf('1024')).toBe(1);
    expect(vcpusOf('0.25 vCPU')).toBe(0.25);
    expect(memoryOf('2048')).toBe('2048Mi');
    expect(memoryOf('3 GB')).toBe('3072Mi');
  });
});
