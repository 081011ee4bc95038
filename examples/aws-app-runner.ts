/**
 * Deploy hello-agent to AWS App Runner (for existing App Runner customers: App Runner stopped
 * accepting new ones on 2026-04-30; new users: examples/aws-ecs-express.ts): image to ECR (deployed
 * by digest), secrets to Secrets Manager (pinned by version), App Runner's own rollback reported.
 *
 *   AWS_REGION=eu-west-1 APP_RUNNER_ACCESS_ROLE_ARN=arn:aws:iam::…:role/AppRunnerECRAccessRole \
 *   APP_RUNNER_INSTANCE_ROLE_ARN=arn:aws:iam::…:role/BerthAppRunnerInstance pnpm exec tsx examples/aws-app-runner.ts
 *   pnpm exec tsx examples/aws-app-runner.ts down
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
import { type AppRunnerOptions, appRunner } from '@berth/provider-aws';
import { helloAgentSpec } from './hello-agent/spec.ts';

/** What the example can be told; everything has a default for a real deployment. */
export interface AppRunnerExampleOptions {
  /** `up` (default) or `down`. */
  command?: 'up' | 'down';
  /** Extra provider options, e.g. the emulator's endpoint and a local registry. */
  provider?: Partial<AppRunnerOptions>;
  /** Base image of hello-agent's Dockerfile. Default `node:24-slim`. */
  baseImage?: string;
  /** Where state and history are kept. Default `examples/.deployment`. */
  stateDir?: string;
  onEvent?: (event: BerthEvent) => void;
}

/** Deploy (or remove) hello-agent on App Runner and return Berth's result. */
export async function main(options: AppRunnerExampleOptions = {}): Promise<DeployResult | DownResult> {
  const region = options.provider?.region ?? process.env.AWS_REGION ?? 'eu-west-1';
  const accessRoleArn = options.provider?.accessRoleArn ?? process.env.APP_RUNNER_ACCESS_ROLE_ARN;
  if (!accessRoleArn)
    throw new Error('Set APP_RUNNER_ACCESS_ROLE_ARN (the role App Runner pulls from ECR with).');
  const instanceRoleArn = options.provider?.instanceRoleArn ?? process.env.APP_RUNNER_INSTANCE_ROLE_ARN;
  const provider = appRunner({
    ...options.provider,
    region,
    accessRoleArn,
    ...(instanceRoleArn ? { instanceRoleArn } : {}),
  });
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
