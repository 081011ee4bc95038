/**
 * `berth` against the AWS emulator, as a child process: one config with an App Runner target and an
 * ECS Express target (credentials by reference), `doctor` → `plan` → `up` → `up` (noop) → a new
 * revision and `rollback` → `status --json` → `down`. The emulator runs in this process; the CLI reaches it through the targets' `endpoint`.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AwsEmulator } from '@berth/emulator-aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsTestEnvironment,
  roleArn,
  startTestEmulator,
} from '../../provider-aws/src/test-support/aws-test-kit.js';
import { temporaryFolder } from '../../provider-ssh/test/docker-test-kit.js';
import { jsonLines, outputRecorder, runBerth, runLogs } from './cli-kit.js';

const env = awsTestEnvironment();
const fixture = fileURLToPath(new URL('../../../test-support/fixtures/health-service', import.meta.url));
const project = await temporaryFolder('berth-cli-aws');
// Credentials of this emulator only, passed to berth by reference (environment variables).
const credentials = {
  accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: randomBytes(20).toString('base64url'),
};
const stamp = Date.now().toString(36);
const names = { runner: `cliar${stamp}`, express: `cliex${stamp}` };
let emulator: AwsEmulator;

function config(greeting = 'hello') {
  const shared = {
    region: emulator.region,
    endpoint: emulator.url,
    credentials: {
      accessKeyId: { fromEnv: 'EMULATOR_ACCESS_KEY_ID' },
      secretAccessKey: { fromEnv: 'EMULATOR_SECRET_ACCESS_KEY' },
    },
    registry: { host: env.registry.host },
    urlScheme: 'http',
    pollIntervalMs: 100,
    retry: { attempts: 4, baseDelayMs: 50 },
    secretDeletion: { forceDelete: true },
  };
  const spec = (name: string) => ({
    name,
    image: { build: { context: fixture } },
    port: 8000,
    env: { GREETING: greeting },
    secrets: { API_KEY: { generate: 'api-key' } },
    health: { intervalMs: 1000, timeoutMs: 30000 },
  });
  return {
    targets: {
      runner: {
        kind: 'app-runner',
        options: {
          ...shared,
          accessRoleArn: roleArn(emulator, 'AppRunnerECRAccessRole'),
          instanceRoleArn: roleArn(emulator, 'BerthInstance'),
          unhealthyThreshold: 3,
        },
      },
      express: {
        kind: 'ecs-express',
        options: {
          ...shared,
          executionRoleArn: roleArn(emulator, 'ecsTaskExecutionRole'),
          infrastructureRoleArn: roleArn(emulator, 'ecsInfrastructureRole'),
        },
      },
    },
    services: {
      runner: { target: 'runner', spec: spec(names.runner) },
      express: { target: 'express', dependsOn: ['runner'], spec: spec(names.express) },
    },
  };
}

const berth = (args: string[], extra: Record<string, string> = {}) =>
  runBerth(args, {
    cwd: project.path,
    env: {
      EMULATOR_ACCESS_KEY_ID: credentials.accessKeyId,
      EMULATOR_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      ...extra,
    },
  });
const { outputs, record } = outputRecorder();

beforeAll(async () => {
  emulator = await startTestEmulator(env.registry, { credentials });
  await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config(), null, 2));
}, 60_000);

afterAll(async () => {
  // Whatever a failed test left: services, secrets and the images pushed to the shared registry.
  await berth(['down', '--delete-images', '--json']);
  await emulator?.close();
  await project.remove();
}, 180_000);

describe('berth with app-runner and ecs-express targets (AWS emulator)', () => {
  it('doctor checks both targets: credentials, ECR', async () => {
    const result = record(await berth(['doctor', '--json']));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const checks = jsonLines(result.stdout);
    for (const subject of ['target runner (aws-app-runner)', 'target express (aws-ecs-express)'])
      expect(checks).toEqual(
        expect.arrayContaining([expect.objectContaining({ subject, name: 'credentials', ok: true })]),
      );
  });

  it('doctor with a wrong secret key fails the credentials check with its hint, the key masked', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const result = record(await berth(['doctor'], { EMULATOR_SECRET_ACCESS_KEY: wrong }));
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/✗ target runner \(aws-app-runner\): credentials/);
    expect(result.stdout).toMatch(/hint: /);
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it("doctor checks a spec against the target's own limits (App Runner service names)", async () => {
    const long = config();
    long.services.runner.spec.name = `${names.runner}-with-a-name-too-long-for-app-runner`;
    await writeFile(join(project.path, 'long.json'), JSON.stringify(long));
    const result = record(await berth(['doctor', '--config', 'long.json', '--service', 'runner']));
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/✗ .*-dev: spec .*App Runner service name/);
    expect(result.stdout).toContain('hint: name: Shorten `name` or `environment`');
  });

  it('plan shows what up would create, per target', async () => {
    const result = record(await berth(['plan']));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`${names.runner}-dev  create  (target runner)`);
    expect(result.stdout).toContain(`${names.express}-dev  create  (target express)`);
    expect(result.stdout).toContain('+ secrets.API_KEY');
  });

  it('up deploys both, in dependency order; --json lines are events, then one result each', async () => {
    const result = record(await berth(['up', '--json']));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    const results = lines.filter((line) => line.type === 'result');
    expect(results.map((line) => [line.service, line.status])).toEqual([
      [`${names.runner}-dev`, 'succeeded'],
      [`${names.express}-dev`, 'succeeded'],
    ]);
    // express depends on runner: it started after runner's run ended.
    const firstExpress = lines.findIndex((line) => line.service === `${names.express}-dev`);
    const lastRunner = lines.findLastIndex(
      (line) => line.service === `${names.runner}-dev` && line.type !== 'result',
    );
    expect(firstExpress).toBeGreaterThan(lastRunner);
    for (const line of results) {
      expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(`${line.url}/env/GREETING`)).text()).toBe('hello');
      expect((line.secrets as Record<string, string>).API_KEY).toMatch(/^.{4}…\(\d+ chars\)$/);
    }
  });

  it('up again is a noop for both', async () => {
    const result = record(await berth(['up']));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`✓ ${names.runner}-dev\\s+noop`));
    expect(result.stdout).toMatch(new RegExp(`✓ ${names.express}-dev\\s+noop`));
  });

  it('a new revision of one service, then rollback restores the previous one', async () => {
    await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config('bonjour'), null, 2));
    const up = record(await berth(['up', '--service', 'runner', '--json']));
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const result = jsonLines(up.stdout).at(-1) as Record<string, unknown>;
    expect(result).toMatchObject({ service: `${names.runner}-dev`, status: 'succeeded' });
    expect(await (await fetch(`${result.url}/env/GREETING`)).text()).toBe('bonjour');
    const rollback = record(await berth(['rollback', '--service', 'runner']));
    expect(rollback.code, rollback.stdout + rollback.stderr).toBe(0);
    expect(await (await fetch(`${result.url}/env/GREETING`)).text()).toBe('hello');
    await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config(), null, 2));
  });

  it('status --json reads each service from its platform', async () => {
    const result = record(await berth(['status', '--json']));
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      expect.objectContaining({
        type: 'status',
        target: 'runner',
        service: `${names.runner}-dev`,
        exists: true,
        healthy: true,
      }),
      expect.objectContaining({
        type: 'status',
        target: 'express',
        service: `${names.express}-dev`,
        exists: true,
        healthy: true,
      }),
    ]);
  });

  it('down --delete-images removes both, dependents first, then status says not deployed', async () => {
    const result = record(await berth(['down', '--delete-images', '--json']));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const results = jsonLines(result.stdout).filter((line) => line.type === 'result');
    expect(results.map((line) => [line.service, line.status])).toEqual([
      [`${names.runner}-dev`, 'destroyed'],
      [`${names.express}-dev`, 'destroyed'],
    ]);
    // runner goes after express, which depends on it.
    const events = jsonLines(result.stdout).filter((line) => line.type !== 'result');
    expect(events.findIndex((line) => line.service === `${names.runner}-dev`)).toBeGreaterThan(
      events.findLastIndex((line) => line.service === `${names.express}-dev`),
    );
    const status = jsonLines(record(await berth(['status', '--json'])).stdout);
    expect(status.map((line) => line.exists)).toEqual([false, false]);
  });

  it('the secret access key given by reference is in no output and no run log', async () => {
    const logs = await runLogs(project.path);
    expect(logs.length).toBeGreaterThan(5);
    for (const text of [...outputs, ...logs]) expect(text).not.toContain(credentials.secretAccessKey);
  });
});
