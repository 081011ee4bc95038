import { fileURLToPath } from 'node:url';
import {
  AppRunnerClient,
  DescribeServiceCommand,
  PauseServiceCommand,
  StartDeploymentCommand,
} from '@aws-sdk/client-apprunner';
import { createDeployer, memoryStateStore } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { createTestContext } from '@berth/core/testing';
import { dockerImageBuilder } from '@berth/docker';
import type { AwsEmulator } from '@berth/emulator-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsTestEnvironment,
  emulatorOptions,
  roleArn,
  startTestEmulator,
} from '../test-support/aws-test-kit.js';
import { appRunner } from './app-runner-provider.js';

// appRunner() through the official SDK clients against the AWS emulator, whose versions run as
// real containers pulled from the local registry. Fails (never skips) without the test environment.
const environment = awsTestEnvironment();
const { registry } = environment;
const fixture = fileURLToPath(new URL('../../../../test-support/fixtures/health-service', import.meta.url));

function providerFor(
  emulator: AwsEmulator,
  extra: { instanceRoleArn?: string; busyTimeoutMs?: number } = {},
) {
  return appRunner({
    ...emulatorOptions(emulator, registry.host),
    accessRoleArn: roleArn(emulator, 'AppRunnerECRAccessRole'),
    unhealthyThreshold: 3,
    ...extra,
  });
}

const conformanceEmulators: AwsEmulator[] = [];
afterAll(async () => {
  for (const emulator of conformanceEmulators) await emulator.close();
}, 120_000);

async function conformanceEmulator(): Promise<AwsEmulator> {
  conformanceEmulators[0] ??= await startTestEmulator(registry);
  return conformanceEmulators[0];
}

describeProviderConformance({
  name: 'aws-app-runner (emulator, Docker versions)',
  provider: async () => providerFor(await conformanceEmulator()),
  optionChange: {
    provider: async () =>
      providerFor(await conformanceEmulator(), {
        instanceRoleArn: roleArn(await conformanceEmulator(), 'BerthInstance'),
      }),
    path: 'provider.instanceRoleArn',
  },
  imageBuilder: () => dockerImageBuilder({ git: false }),
  spec: () => ({ name: 'unused', image: { build: { context: fixture } }, port: 8000 }),
  // The platform health-checks each version before it serves (and rolls it back itself).
  platformHealthChecks: true,
  // Behind Berth's back: an operator pauses the service, which then serves nothing.
  stopService: async (provider, target) => {
    const emulator = await conformanceEmulator();
    const arn = String((await provider.observe(createTestContext(), target))?.data?.serviceArn);
    const client = new AppRunnerClient(emulator.clientConfig);
    await client.send(new PauseServiceCommand({ ServiceArn: arn }));
    while ((await client.send(new DescribeServiceCommand({ ServiceArn: arn }))).Service?.Status !== 'PAUSED')
      await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();
  },
  timeoutMs: 180_000,
});

describe('aws-app-runner against the emulator', () => {
  let emulator: AwsEmulator;
  let provider: ReturnType<typeof appRunner>;
  const state = memoryStateStore();
  const name = `ar${Date.now().toString(36)}`;
  const service = `${name}-dev`;
  const deployer = () =>
    createDeployer({ provider, state, imageBuilder: dockerImageBuilder({ git: false }) });
  const spec = (env: Record<string, string> = {}) => ({
    name,
    image: { build: { context: fixture } },
    port: 8000,
    env: { GREETING: 'hello', ...env },
    secrets: { SUPERVAIZER_API_KEY: { generate: 'api-key' as const } },
    publicUrlEnv: 'PUBLIC_URL',
    health: { intervalMs: 1_000, timeoutMs: 20_000 },
  });
  const target = { service, name, environment: 'dev' };
  const text = async (url: string) => (await fetch(url)).text();
  const writes = (from: number) =>
    emulator.calls
      .slice(from)
      .filter((call) => !/\.(Describe|List|Get)/.test(call.target))
      .map((call) => call.target.split('.').pop());

  beforeAll(async () => {
    emulator = await startTestEmulator(registry);
    provider = providerFor(emulator);
  }, 60_000);
  afterAll(async () => {
    await provider?.close?.();
    await emulator?.close();
  }, 120_000);

  let url: string | undefined;
  let firstRevision: string | undefined;
  let secondRevision: string | undefined;

  it('first deploy creates the repository, the secrets and the service, and sets the public URL', async () => {
    const result = await deployer().up(spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    url = result.url;
    firstRevision = result.revision;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = emulator.calls.filter((call) => call.statusCode === 200).map((call) => call.target);
    expect(ok).toContain('AmazonEC2ContainerRegistry_V20150921.CreateRepository');
    expect(ok).toContain('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken');
    expect(ok).toContain('secretsmanager.CreateSecret');
    expect(ok).toContain('AppRunner.CreateService');
    expect(await text(`${url}/env/PUBLIC_URL`)).toBe(url);
    expect(await text(`${url}/env/GREETING`)).toBe('hello');
    const owned = await provider.secrets?.list(createTestContext(), target);
    expect(owned?.map((secret) => secret.key)).toEqual(['SUPERVAIZER_API_KEY']);
    expect(owned?.[0]?.ref).toMatch(
      /^arn:aws:secretsmanager:us-east-1:123456789012:secret:berth\/ar[a-z0-9]+-dev\/SUPERVAIZER_API_KEY-[A-Za-z0-9]{6}:::[\w-]+$/,
    );
    const observed = await provider.observe(createTestContext(), target);
    expect(observed?.image?.ref).toMatch(
      new RegExp(
        `^123456789012\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/berth/${service}@sha256:[a-f0-9]{64}$`,
      ),
    );
    const key = await provider.secrets?.read?.(createTestContext(), target, 'SUPERVAIZER_API_KEY');
    const agents = await fetch(`${url}/agents/health`, { headers: { 'x-api-key': key ?? '' } });
    expect(agents.status).toBe(200);
  });

  it('re-running the same spec is a noop that writes only the lock', async () => {
    const before = emulator.calls.length;
    const result = await deployer().up(spec());
    expect(result.status).toBe('noop');
    expect(writes(before)).toEqual(['CreateSecret', 'DeleteSecret']);
  });

  it('an env change deploys a new version at the same URL', async () => {
    const result = await deployer().up(spec({ GREETING: 'bonjour' }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.revision).not.toBe(firstRevision);
    expect(result.url).toBe(url);
    secondRevision = result.revision;
    expect(await text(`${url}/env/GREETING`)).toBe('bonjour');
  });

  it('a version failing health is rolled back by App Runner itself; Berth reports rolled-back without redeploying', async () => {
    const before = emulator.calls.length;
    const result = await deployer().up(spec({ GREETING: 'broken', BERTH_TEST_FAIL_HEALTH: '1' }));
    expect(result.status).toBe('rolled-back');
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(result.error?.message).toMatch(/rolled back to revision .* by itself/);
    expect(result.rollback).toMatchObject({ to: secondRevision, by: 'platform' });
    expect(result.revision).toBe(secondRevision);
    // One update (the failing version), none to restore: App Runner already serves the old one.
    expect(writes(before).filter((call) => call === 'UpdateService')).toEqual(['UpdateService']);
    expect(await text(`${url}/env/GREETING`)).toBe('bonjour');
    const status = await deployer().status(spec());
    expect(status.revision).toBe(secondRevision);
  });

  it('a manual rollback redeploys the recorded image and secret versions', async () => {
    const result = await deployer().rollback(spec(), { to: firstRevision });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(await text(`${url}/env/GREETING`)).toBe('hello');
    const observed = await provider.observe(createTestContext(), target);
    expect(observed?.revision).toBe(firstRevision);
  });

  it('throttling is retried', async () => {
    emulator.faults.throttle('AppRunner.DescribeService', 2);
    const before = emulator.calls.length;
    const observed = await provider.observe(createTestContext(), target);
    expect(observed?.revision).toBe(firstRevision);
    const throttled = emulator.calls.slice(before).filter((call) => call.error === 'ThrottlingException');
    expect(throttled).toHaveLength(2);
  });

  it('a run while another operation is in progress waits for it, then deploys', async () => {
    emulator.setLatency({ operationMs: 600_000 });
    const context = createTestContext();
    const arn = String((await provider.observe(context, target))?.data?.serviceArn);
    const other = new AppRunnerClient(emulator.clientConfig);
    await other.send(new StartDeploymentCommand({ ServiceArn: arn }));
    other.destroy();
    const busy = await provider.observe(context, target);
    expect(busy?.busy?.operation).toMatch(/^START_DEPLOYMENT /);
    const before = emulator.calls.length;
    const run = deployer().up(spec({ GREETING: 'after-wait' }));
    // Release the held operation once the run has seen it.
    while (!emulator.calls.slice(before).some((call) => call.target === 'AppRunner.ListOperations'))
      await new Promise((resolve) => setTimeout(resolve, 50));
    emulator.setLatency({ operationMs: 0 });
    const result = await run;
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(emulator.calls.slice(before).filter((call) => call.error === 'InvalidStateException')).toEqual([]);
    expect(await text(`${url}/env/GREETING`)).toBe('after-wait');
  });

  it('down removes the service and the secrets Berth owns (kept restorable), and a re-deploy restores them', async () => {
    const down = await deployer().down(spec());
    expect(down.status).toBe('destroyed');
    // Images are kept unless asked.
    expect(emulator.calls.some((call) => call.target.endsWith('.DeleteRepository'))).toBe(false);
    expect(await provider.observe(createTestContext(), target)).toBeUndefined();
    expect(await provider.secrets?.list(createTestContext(), target)).toEqual([]);
    const up = await deployer().up(spec());
    expect(up.error).toBeUndefined();
    expect(up.status).toBe('succeeded');
    const restored = emulator.calls.filter(
      (call) => call.target === 'secretsmanager.RestoreSecret' && call.statusCode === 200,
    );
    expect(restored.length).toBeGreaterThan(0);
    const last = await deployer().down(spec(), { deleteImages: true });
    expect(last.status).toBe('destroyed');
    const deleted = emulator.calls
      .filter((call) => call.statusCode === 200)
      .map((call) => call.target.split('.').pop());
    expect(deleted).toContain('BatchDeleteImage');
    expect(deleted).toContain('DeleteRepository');
  });
});

describe('aws-app-runner preflight against the emulator', () => {
  let emulator: AwsEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator(registry);
  }, 60_000);
  afterAll(async () => {
    await emulator?.close();
  }, 60_000);
  const target = { service: 'pre-dev', name: 'pre', environment: 'dev' };

  it('checks credentials, ECR and App Runner', async () => {
    const checks = await providerFor(emulator).preflight?.(createTestContext(), target);
    expect(checks?.map((check) => [check.name, check.ok])).toEqual([
      ['credentials', true],
      ['api:ecr', true],
      ['api:apprunner', true],
    ]);
    expect(checks?.[0]?.message).toContain('arn:aws:iam::123456789012:user/emulator');
  });

  it('names the missing IAM action when access is denied', async () => {
    emulator.faults.failNext({ operation: 'GetCallerIdentity', error: 'AccessDeniedException', times: 1 });
    const checks = await providerFor(emulator).preflight?.(createTestContext(), target);
    expect(checks).toHaveLength(1);
    expect(checks?.[0]).toMatchObject({ name: 'credentials', ok: false });
    expect(checks?.[0]?.hint).toContain('sts:GetCallerIdentity');
  });

  it('refuses bad options before any call', () => {
    expect(() => appRunner({ region: 'nowhere', accessRoleArn: 'not-an-arn' })).toThrow(/appRunner\.region/);
  });
});
