/**
 * `berth` with an `app-platform` target against the DigitalOcean emulator, as a child process: the
 * API token and the generated-secrets key by reference, `doctor` → `up` → `up` (noop) →
 * `status --json` → `down`. The emulator runs in this process; the CLI reaches it through the
 * target's `endpoint`, and pushes to the shared local registry (the emulator's DOCR).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import { startTestEmulator, testSecretsKey } from '../../provider-do/src/test-support/do-test-kit.js';
import { temporaryFolder } from '../../provider-ssh/test/docker-test-kit.js';
import { jsonLines, outputRecorder, runBerth, runLogs } from './cli-kit.js';

const env = requireTestEnvironment(['docker', 'registry', 'images']);
const fixture = fileURLToPath(new URL('../../../test-support/fixtures/health-service', import.meta.url));
const project = await temporaryFolder('berth-cli-do');
const name = `clido${Date.now().toString(36)}`;
let emulator: Awaited<ReturnType<typeof startTestEmulator>>;
const secretValue = `v-${randomBytes(12).toString('hex')}`;

const berth = (args: string[]) =>
  runBerth(args, {
    cwd: project.path,
    env: { DO_TOKEN: emulator.token, BERTH_DO_SECRETS_KEY: testSecretsKey, PLAIN_SECRET: secretValue },
  });
const { outputs, record } = outputRecorder();

beforeAll(async () => {
  emulator = await startTestEmulator(env.registry);
  const config = {
    targets: {
      do: {
        kind: 'app-platform',
        options: {
          token: { fromEnv: 'DO_TOKEN' },
          endpoint: emulator.endpoint,
          region: 'fra',
          registry: { name: emulator.registryName, host: env.registry.host },
          secretsKey: { fromEnv: 'BERTH_DO_SECRETS_KEY' },
          pollIntervalMs: 400,
          retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 60_000 },
        },
      },
    },
    services: {
      api: {
        target: 'do',
        spec: {
          name,
          image: { build: { context: fixture } },
          port: 8000,
          env: { GREETING: 'hello' },
          secrets: { API_KEY: { generate: 'api-key' }, PLAIN: { fromEnv: 'PLAIN_SECRET' } },
          health: { timeoutMs: 60000, intervalMs: 200, maxIntervalMs: 500 },
        },
      },
    },
  };
  await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config, null, 2));
}, 90_000);

afterAll(async () => {
  // Whatever a failed test left behind.
  if (emulator) await berth(['down']);
  await emulator?.close();
  await project.remove();
}, 120_000);

describe('berth with an app-platform target (DigitalOcean emulator)', () => {
  it('doctor: the token given by reference is valid and the registry exists', async () => {
    const result = record(await berth(['doctor', '--json']));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(jsonLines(result.stdout).filter((check) => !check.ok)).toEqual([]);
  });

  it('up deploys it to its live URL; up again is a noop', async () => {
    const first = record(await berth(['up', '--json']));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const result = jsonLines(first.stdout).at(-1) as Record<string, unknown>;
    expect(result).toMatchObject({ type: 'result', service: `${name}-dev`, status: 'succeeded' });
    expect(await (await fetch(`${result.url}/env/GREETING`)).text()).toBe('hello');
    const again = record(await berth(['up']));
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`✓ ${name}-dev\\s+noop`));
  }, 240_000);

  it('status --json, then down removes the app', async () => {
    const status = jsonLines(record(await berth(['status', '--json'])).stdout);
    expect(status).toEqual([
      expect.objectContaining({
        type: 'status',
        target: 'do',
        service: `${name}-dev`,
        exists: true,
        healthy: true,
      }),
    ]);
    const down = record(await berth(['down']));
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`✓ ${name}-dev\\s+destroyed`));
    expect(jsonLines(record(await berth(['status', '--json'])).stdout)[0]).toMatchObject({ exists: false });
  }, 120_000);

  it('the token, the secrets key and the secret value are in no output and no run log', async () => {
    const logs = await runLogs(project.path);
    for (const text of [...outputs, ...logs]) {
      expect(text).not.toContain(emulator.token);
      expect(text).not.toContain(testSecretsKey);
      expect(text).not.toContain(secretValue);
    }
  });
});
