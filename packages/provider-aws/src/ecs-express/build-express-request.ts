import type { ExpressGatewayContainer, ExpressGatewayScalingTarget } from '@aws-sdk/client-ecs';
import { type DesiredService, ProviderError } from '@berth/core';
import { revisionEnv } from '../aws-names.js';
import { fargateSize } from './fargate-sizes.js';

/** What an Express request needs besides the desired service. */
export interface ExpressRequestInput {
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>@sha256:…`. */
  image: string;
  executionRoleArn: string;
  taskRoleArn?: string;
  cpuArchitecture: 'X86_64' | 'ARM64';
}

/** `primaryContainer`: the image by digest, port, env (with Berth's revision) and secret versions. */
export function buildPrimaryContainer(desired: DesiredService, image: string): ExpressGatewayContainer {
  const secrets = Object.entries(desired.secrets).map(([name, binding]) => {
    if (!binding.ref)
      throw new ProviderError('PROVIDER_REQUEST_FAILED', `Secret ${name} has no Secrets Manager reference`, {
        hint: 'Deploy through the provider secret store (ecsExpress() has one).',
      });
    return { name, valueFrom: binding.ref };
  });
  const environment = Object.entries({ ...desired.env, [revisionEnv]: desired.revision })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ({ name, value }));
  return {
    image,
    containerPort: desired.port,
    environment,
    ...(secrets.length > 0 ? { secrets } : {}),
  };
}

/** `scalingTarget` from `resources.minInstances`/`maxInstances` (absent: Express's default). */
export function buildScalingTarget(desired: DesiredService): ExpressGatewayScalingTarget | undefined {
  const { minInstances, maxInstances } = desired.resources;
  if (minInstances === undefined && maxInstances === undefined) return undefined;
  return {
    ...(minInstances !== undefined ? { minTaskCount: minInstances } : {}),
    ...(maxInstances !== undefined ? { maxTaskCount: maxInstances } : {}),
  };
}

/** The members shared by `CreateExpressGatewayService` and `UpdateExpressGatewayService`. */
export function buildExpressConfiguration(desired: DesiredService, input: ExpressRequestInput) {
  const size = fargateSize(desired.resources);
  if (!size)
    throw new ProviderError('PROVIDER_REQUEST_FAILED', 'Fargate has no task size with this cpu/memory', {
      hint: 'See the Fargate task sizes, e.g. 0.25 vCPU with 512Mi–2Gi, 1 vCPU with 2Gi–8Gi.',
    });
  const scalingTarget = buildScalingTarget(desired);
  return {
    executionRoleArn: input.executionRoleArn,
    ...(input.taskRoleArn ? { taskRoleArn: input.taskRoleArn } : {}),
    healthCheckPath: desired.health?.path ?? desired.healthPath,
    primaryContainer: buildPrimaryContainer(desired, input.image),
    ...size,
    cpuArchitecture: input.cpuArchitecture,
    ...(scalingTarget ? { scalingTarget } : {}),
  };
}
