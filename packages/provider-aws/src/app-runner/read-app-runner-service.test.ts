import type { Service } from '@aws-sdk/client-apprunner';
import { serviceSpecSchema } from '@berth/core/schemas';
import { describe, expect, it } from 'vitest';
import { readAppRunnerService } from './read-app-runner-service.js';
import { validateAppRunnerSpec } from './validate-app-runner-spec.js';

const service = (extra: Partial<Service> = {}): Service =>
  ({
    ServiceName: 'hello-dev',
    ServiceArn: 'arn:aws:apprunner:us-east-1:123456789012:service/hello-dev/abc',
    ServiceUrl: 'abc.us-east-1.awsapprunner.com',
    Status: 'RUNNING',
    SourceConfiguration: {
      ImageRepository: {
        ImageIdentifier: '123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/hello-dev@sha256:aa',
        ImageRepositoryType: 'ECR',
        ImageConfiguration: {
          Port: '8000',
          RuntimeEnvironmentVariables: { GREETING: 'hi', BERTH_REVISION: '0002-xyz' },
          RuntimeEnvironmentSecrets: { API_KEY: 'arn:…:::v1' },
        },
      },
      AuthenticationConfiguration: { AccessRoleArn: 'arn:aws:iam::123456789012:role/Access' },
    },
    InstanceConfiguration: { Cpu: '1024', Memory: '2048' },
    NetworkConfiguration: { IngressConfiguration: { IsPubliclyAccessible: true } },
    ...extra,
  }) as Service;

describe('readAppRunnerService', () => {
  it('reads the revision from the environment, the digest, the URL as https, the options', () => {
    const observed = readAppRunnerService({ service: service(), scheme: 'https' });
    expect(observed).toMatchObject({
      service: 'hello-dev',
      url: 'https://abc.us-east-1.awsapprunner.com',
      revision: '0002-xyz',
      image: { digest: 'sha256:aa' },
      port: 8000,
      env: { GREETING: 'hi' },
      secrets: { API_KEY: { ref: 'arn:…:::v1' } },
      resources: { cpu: 1, memory: '2048Mi' },
      public: true,
      provider: { accessRoleArn: 'arn:aws:iam::123456789012:role/Access', instanceRoleArn: null },
      ready: true,
    });
    expect(observed.env).not.toHaveProperty('BERTH_REVISION');
    expect(observed.busy).toBeUndefined();
  });

  it('reports the operation in progress as busy, and a failed creation as not running', () => {
    const busy = readAppRunnerService({
      service: service({ Status: 'OPERATION_IN_PROGRESS' }),
      scheme: 'https',
      operation: {
        Id: 'op-1',
        Type: 'UPDATE_SERVICE',
        Status: 'IN_PROGRESS',
        StartedAt: new Date('2026-01-01T00:00:00Z'),
      },
    });
    expect(busy.ready).toBe(false);
    expect(busy.busy).toEqual({ operation: 'UPDATE_SERVICE op-1', since: '2026-01-01T00:00:00.000Z' });
    const failed = readAppRunnerService({ service: service({ Status: 'CREATE_FAILED' }), scheme: 'https' });
    expect(failed).toMatchObject({ ready: false, running: false });
  });
});

describe('validateAppRunnerSpec', () => {
  const spec = (extra: Record<string, unknown>) =>
    serviceSpecSchema.parse({ name: 'hello', image: { ref: 'x@sha256:aa' }, ...extra });
  it('accepts the defaults', () => {
    expect(validateAppRunnerSpec(spec({}))).toEqual([]);
  });
  it.each([
    [{ name: 'h', environment: 'a' }, 'name'],
    [{ name: 'a'.repeat(38) }, 'name'],
    [{ health: { intervalMs: 25_000 } }, 'health.intervalMs'],
    [{ health: { attemptTimeoutMs: 30_000 } }, 'health.attemptTimeoutMs'],
    [{ health: { successThreshold: 21 } }, 'health.successThreshold'],
    [{ resources: { cpu: 3 } }, 'resources.cpu'],
  ])('%j is refused at %s', (extra, path) => {
    expect(validateAppRunnerSpec(spec(extra)).map((issue) => issue.path)).toContain(path);
  });
});
