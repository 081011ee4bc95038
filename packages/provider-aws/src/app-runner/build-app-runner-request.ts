import type { HealthCheckConfiguration, SourceConfiguration } from '@aws-sdk/client-apprunner';
import type { DesiredService } from '@berth/core';
import { ProviderError } from '@berth/core';
import { revisionEnv } from '../aws-names.js';
import { appRunnerInstance } from './app-runner-sizes.js';

/** What an App Runner request needs besides the desired service. */
export interface AppRunnerRequestInput {
  /** The image to pull: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:…`. */
  imageIdentifier: string;
  accessRoleArn: string;
  instanceRoleArn?: string;
  unhealthyThreshold: number;
  autoScalingConfigurationArn?: string;
}

/** Seconds App Runner takes for a duration in milliseconds (rounded up). */
export const secondsOf = (ms: number) => Math.ceil(ms / 1000);

/** The health check App Runner runs: HTTP on the spec's path, its interval, attempt timeout and threshold. */
export function buildHealthCheck(
  desired: DesiredService,
  unhealthyThreshold: number,
): HealthCheckConfiguration {
  const health = desired.health;
  return {
    Protocol: 'HTTP',
    Path: health?.path ?? desired.healthPath,
    Interval: secondsOf(health?.intervalMs ?? 1_000),
    Timeout: secondsOf(health?.attemptTimeoutMs ?? 5_000),
    HealthyThreshold: health?.successThreshold ?? 1,
    UnhealthyThreshold: unhealthyThreshold,
  };
}

/** `SourceConfiguration`: the ECR image by digest, port, env (with Berth's revision), secret versions; no auto deploys. */
export function buildSourceConfiguration(
  desired: DesiredService,
  input: AppRunnerRequestInput,
): SourceConfiguration {
  const secrets: Record<string, string> = {};
  for (const [key, binding] of Object.entries(desired.secrets)) {
    if (!binding.ref)
      throw new ProviderError('PROVIDER_REQUEST_FAILED', `Secret ${key} has no Secrets Manager reference`, {
        hint: 'Deploy through the provider secret store (appRunner() has one).',
      });
    secrets[key] = binding.ref;
  }
  return {
    ImageRepository: {
      ImageIdentifier: input.imageIdentifier,
      ImageRepositoryType: 'ECR',
      ImageConfiguration: {
        Port: String(desired.port),
        RuntimeEnvironmentVariables: { ...desired.env, [revisionEnv]: desired.revision },
        ...(Object.keys(secrets).length > 0 ? { RuntimeEnvironmentSecrets: secrets } : {}),
      },
    },
    AuthenticationConfiguration: { AccessRoleArn: input.accessRoleArn },
    // Same-account ECR defaults to true, which would redeploy on every push.
    AutoDeploymentsEnabled: false,
  };
}

/** The members shared by `CreateService` and `UpdateService`. */
export function buildServiceConfiguration(desired: DesiredService, input: AppRunnerRequestInput) {
  const instance = appRunnerInstance(desired.resources);
  if (!instance)
    throw new ProviderError('PROVIDER_REQUEST_FAILED', 'App Runner does not offer this cpu/memory pair', {
      hint: 'Use 0.25 vCPU with 512Mi/1Gi, 0.5 with 1Gi, 1 with 2–4Gi, 2 with 4Gi/6Gi, or 4 with 8–12Gi.',
    });
  return {
    SourceConfiguration: buildSourceConfiguration(desired, input),
    InstanceConfiguration: {
      ...instance,
      ...(input.instanceRoleArn ? { InstanceRoleArn: input.instanceRoleArn } : {}),
    },
    HealthCheckConfiguration: buildHealthCheck(desired, input.unhealthyThreshold),
    NetworkConfiguration: { IngressConfiguration: { IsPubliclyAccessible: desired.public } },
    ...(input.autoScalingConfigurationArn
      ? { AutoScalingConfigurationArn: input.autoScalingConfigurationArn }
      : {}),
  };
}
