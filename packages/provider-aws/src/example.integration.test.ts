import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AwsEmulator } from '@berth/emulator-aws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main as appRunnerMain } from '../../../examples/aws-app-runner.ts';
import { main as ecsExpressMain } from '../../../examples/aws-ecs-express.ts';
import {
  awsTestEnvironment,
  emulatorOptions,
  roleArn,
  startTestEmulator,
} from './test-support/aws-test-kit.js';

// examples/aws-app-runner.ts and examples/aws-ecs-express.ts, unchanged, against the emulator and the local registry.
const environment = awsTestEnvironment();
const { registry } = environment;
let emulator: AwsEmulator;
let stateDir: string;

beforeAll(async () => {
  emulator = await startTestEmulator(registry);
  stateDir = await mkdtemp(join(tmpdir(), 'berth-aws-example-'));
});
afterAll(async () => {
  await emulator?.close();
  await rm(stateDir, { recursive: true, force: true });
}, 120_000);

it('the App Runner example deploys hello-agent and removes it again', async () => {
  const options = {
    baseImage: environment.images.node,
    stateDir: join(stateDir, 'app-runner'),
    provider: {
      ...emulatorOptions(emulator, registry.host),
      accessRoleArn: roleArn(emulator, 'AppRunnerECRAccessRole'),
      instanceRoleArn: roleArn(emulator, 'BerthAppRunnerInstance'),
    },
  };
  const up = await appRunnerMain(options);
  expect(up.error).toBeUndefined();
  expect(up.status).toBe('succeeded');
  const url = 'url' in up ? up.url : undefined;
  expect((await fetch(`${url}/.well-known/health`)).status).toBe(200);
  const down = await appRunnerMain({ ...options, command: 'down' });
  expect(down.status).toBe('destroyed');
}, 240_000);

it('the ECS Express example deploys hello-agent and removes it again', async () => {
  const options = {
    baseImage: environment.images.node,
    stateDir: join(stateDir, 'ecs-express'),
    provider: {
      ...emulatorOptions(emulator, registry.host),
      executionRoleArn: roleArn(emulator, 'ecsTaskExecutionRole'),
      infrastructureRoleArn: roleArn(emulator, 'ecsInfrastructureRoleForExpressServices'),
    },
  };
  const up = await ecsExpressMain(options);
  expect(up.error).toBeUndefined();
  expect(up.status).toBe('succeeded');
  const url = 'url' in up ? up.url : undefined;
  expect((await fetch(`${url}/.well-known/health`)).status).toBe(200);
  const down = await ecsExpressMain({ ...options, command: 'down' });
  expect(down.status).toBe('destroyed');
}, 240_000);
