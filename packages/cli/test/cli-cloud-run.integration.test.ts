/**
 * `berth` with a `cloud-run` target against the Cloud Run emulator, as a child process: the access
 * token and the registry password by reference, `up` → `up` (noop) → `status --json` → `down`.
 * The emulator runs in this process; the CLI reaches it through the target's `endpoint`.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GcpEmulator, startGcpEmulator } from '@berth/emulator-gcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import { temporaryFolder } from '../../provider-ssh/test/docker-test-kit.js';
import { jsonLines, outputRecorder, runBerth, runLogs } from './cli-kit.js';

const env = requireTestEnvironment(['docker', 'registry', 'images']);
const fixture = fileURLToPath(new URL('../../../test-support/fixtures/health-service', import.meta.url));
const project = await temporaryFolder('berth-cli-gcp');
const name = `cligcp${Date.now().toString(36)}`;
// The emulator accepts any bearer token: this one is the test's own, given by reference only.
const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
let emulator: GcpEmulator;

const berth = (args: string[]) =>
  runBerth(args, {
    cwd: project.path,
    env: { GCP_ACCESS_TOKEN: accessToken, REGISTRY_PASSWORD: env.registry.password },
  });
const { outputs, record } = outputRecorder();

beforeAll(async () => {
  emulator = await startGcpEmulator({
    registryAuth: {
      [env.registry.host]: { username: env.registry.username, password: env.registry.password },
    },
    startupTimeoutMs: 30_000,
  });
  const config = {
    targets: {
      gcp: {
        kind: 'cloud-run',
        options: {
          project: 'berth-cli',
          region: 'europe-west1',
          endpoint: { apiEndpoint: '127.0.0.1', port: emulator.port, protocol: 'http' },
          accessToken: { fromEnv: 'GCP_ACCESS_TOKEN' },
          registry: {
            host: env.registry.host,
            credentials: { username: env.registry.username, password: { fromEnv: 'REGISTRY_PASSWORD' } },
          },
          retry: { attempts: 4, baseDelayMs: 50 },
        },
      },
    },
    services: {
      api: {
        target: 'gcp',
        spec: {
          name,
          image: { build: { context: fixture } },
          port: 8000,
          env: { GREETING: 'hello' },
          secrets: { API_KEY: { generate: 'api-key' } },
          health: { timeoutMs: 30000, intervalMs: 200, maxIntervalMs: 500 },
        },
      },
    },
  };
  await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config, null, 2));
}, 60_000);

afterAll(async () => {
  // Whatever a failed test left, and the images pushed to the shared registry.
  await berth(['down', '--delete-images']);
  await emulator?.close();
  await project.remove();
}, 120_000);

describe('berth with a cloud-run target (Cloud Run emulator)', () => {
  it('doctor: the target answers with the token given by reference', async () => {
    const result = record(await berth(['doctor', '--json']));
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(jsonLines(result.stdout).filter((check) => !check.ok)).toEqual([]);
  });

  it('up deploys it; up again is a noop', async () => {
    const first = record(await berth(['up', '--json']));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const result = jsonLines(first.stdout).at(-1) as Record<string, unknown>;
    expect(result).toMatchObject({ type: 'result', service: `${name}-dev`, status: 'succeeded' });
    expect(await (await fetch(`${result.url}/env/GREETING`)).text()).toBe('hello');
    const again = record(await berth(['up']));
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`✓ ${name}-dev\\s+noop`));
  });

  it('status --json, then down', async () => {
    const status = jsonLines(record(await berth(['status', '--json'])).stdout);
    expect(status).toEqual([
      expect.objectContaining({
        type: 'status',
        target: 'gcp',
        service: `${name}-dev`,
        exists: true,
        healthy: true,
      }),
    ]);
    const down = record(await berth(['down', '--delete-images']));
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(down.stdout).toMatch(new RegExp(`✓ ${name}-dev\\s+destroyed`));
    expect(jsonLines(record(await berth(['status', '--json'])).stdout)[0]).toMatchObject({ exists: false });
  });

  it('the token and the registry password are in no output and no run log', async () => {
    const logs = await runLogs(project.path);
    for (const text of [...outputs, ...logs]) {
      expect(text).not.toContain(accessToken);
      expect(text).not.toContain(env.registry.password);
    }
  });
});
