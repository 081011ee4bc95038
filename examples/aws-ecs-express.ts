/**
 * Deploy hello-agent to Amazon ECS Express Mode: image to ECR (deployed by digest), secrets to
 * Secrets Manager (pinned by version), ECS's circuit-breaker rollback reported as such.
 *
 *   AWS_REGION=eu-west-1 ECS_EXECUTION_ROLE_ARN=arn:aws:iam::…:role/ecsTaskExecutionRole \
 *   ECS_INFRASTRUCTURE_ROLE_ARN=arn:aws:iam::…:role/ecsInfrastructureRoleForExpressServices \
 *   pnpm exec tsx examples/aws-ecs-express.ts
 *   pnpm exec tsx examples/aws-ecs-express.ts down
 *
 * Credentials come from the SDK's default chain (AWS_PROFILE, SSO, env keys, an instance role).
 * The IAM policy and the two roles: docs/providers/aws.md. The same `main()` runs against the local
 * emulator in packages/provider-aws/src/example.integration.test.ts.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BerthEvent,
  createDeployer,
  type DeployResult,
  type DownResult,
  fileStateStore,
} from '@berth/core';
import { dockerImageBuilder } from '@berth/docker';
import { type EcsExpressOptions, ecsExpress } from '@berth/provider-aws';
import { helloAgentSpec } from './hello-agent/spec.ts';

/** What the example can be told; everything has a default for a real deployment. */
export interface EcsExpressExampleOptions {
  /** `up` (default) or `down`. */
  command?: 'up' | 'down';
  /** Extra provider options, e.g. the emulator's endpoint and a local registry. */
  provider?: Partial<EcsExpressOptions>;
  /** Base image of hello-agent's Dockerfile. Default `node:24-slim`. */
  baseImage?: string;
  /** Where state and history are kept. Default `examples/.deployment`. */
  stateDir?: string;
  onEvent?: (event: BerthEvent) => void;
}

/** Deploy (or remove) hello-agent on ECS Express Mode and return Berth's result. */
export async function main(options: EcsExpressExampleOptions = {}): Promise<DeployResult | DownResult> {
  const region = options.provider?.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  const executionRoleArn = options.provider?.executionRoleArn ?? process.env.ECS_EXECUTION_ROLE_ARN;
  const infrastructureRoleArn =
    options.provider?.infrastructureRoleArn ?? process.env.ECS_INFRASTRUCTURE_ROLE_ARN;
  if (!executionRoleArn || !infrastructureRoleArn)
    throw new Error(
      'Set ECS_EXECUTION_ROLE_ARN and ECS_INFRASTRUCTURE_ROLE_ARN (see docs/providers/aws.md).',
    );
  const provider = ecsExpress({ ...options.provider, region, executionRoleArn, infrastructureRoleArn });
  const deployer = createDeployer({
    provider,
    imageBuilder: dockerImageBuilder(),
    state: fileStateStore({
      dir: options.stateDir ?? fileURLToPath(new URL('./.deployment', import.meta.url)),
    }),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  const spec = helloAgentSpec({ baseImage: options.baseImage ?? 'node:24-slim' });
  try {
    return options.command === 'down' ? await deployer.down(spec) : await deployer.up(spec);
  } finally {
    await provider.close?.();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await main({ command: process.argv[2] === 'down' ? 'down' : 'up' });
  console.log(JSON.stringify(result, null, 2));
  process.exitCode = result.status === 'failed' || result.status === 'rolled-back' ? 1 : 0;
}
