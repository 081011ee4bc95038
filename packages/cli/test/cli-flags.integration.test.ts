/**
 * Flags a CI job leans on, as a child process against the local Docker engine: `--no-rollback`
 * keeps a revision that fails verification (exit 1, not 3) and `--timeout` bounds a run that would
 * wait too long; both say so in the summary and the JSON result.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import {
  freePort,
  removeServices,
  temporaryFolder,
  testDocker,
  uniqueName,
} from '../../provider-ssh/test/docker-test-kit.js';
import { jsonLines, runBerth } from './cli-kit.js';

const env = requireTestEnvironment(['docker', 'images']);
const docker = testDocker(env.docker.socketPath);
const project = await temporaryFolder('berth-cli-flags');
const secrets = await temporaryFolder('berth-cli-flags-secrets');
const name = uniqueName('cli-flags');
const port = await freePort();

afterAll(async () => {
  await removeServices(docker, [`${name}-dev`]);
  await project.remove();
  await secrets.remove();
});

function config(options: { failing: boolean; healthTimeoutMs: number; version: string }) {
  return {
    targets: {
      local: {
        kind: 'local-docker',
        options: { hostPort: port, stopTimeoutSeconds: 1, secretsDir: secrets.path },
      },
    },
    services: {
      [name]: {
        spec: {
          image: { ref: env.images.healthService },
          port,
          env: {
            PORT: String(port),
            VERSION: options.version,
            ...(options.failing ? { BERTH_TEST_FAIL_HEALTH: '1' } : {}),
          },
          health: { timeoutMs: options.healthTimeoutMs, intervalMs: 200, maxIntervalMs: 500 },
        },
      },
    },
  };
}

const berth = async (args: string[], options: Parameters<typeof config>[0]) => {
  await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config(options)));
  return runBerth(args, { cwd: project.path });
};

describe('berth up flags', () => {
  let verified = '';
  it('a good revision first', async () => {
    const result = await berth(['up', '--json'], { failing: false, healthTimeoutMs: 30000, version: '1' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    verified = String(jsonLines(result.stdout).at(-1)?.revision);
  });

  it('--no-rollback keeps a revision that fails verification: exit 1, it stays live', async () => {
    const result = await berth(['up', '--no-rollback', '--json'], {
      failing: true,
      healthTimeoutMs: 3000,
      version: '2',
    });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    const last = jsonLines(result.stdout).at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({ type: 'result', status: 'failed', error: { code: 'HEALTH_CHECK_FAILED' } });
    expect((last.rollback as { attempted?: boolean } | undefined)?.attempted ?? false).toBe(false);
    const [status] = jsonLines((await runBerth(['status', '--json'], { cwd: project.path })).stdout);
    expect(status).toMatchObject({ exists: true, revision: last.revision, healthy: false });
  });

  it('--timeout stops a run that waits too long: the last verified revision is restored, exit 3', async () => {
    // The health wait may take 10 minutes: --timeout 3s bounds the run.
    const result = await berth(['up', '--timeout', '3s'], {
      failing: true,
      healthTimeoutMs: 600000,
      version: '3',
    });
    expect(result.code, result.stdout + result.stderr).toBe(3);
    const summary = result.stdout.slice(result.stdout.indexOf('Summary'));
    expect(summary).toMatch(new RegExp(`✗ ${name}-dev\\s+rolled-back`));
    expect(summary).toContain(`rollback to ${verified}: succeeded (The run passed its timeout of 3000 ms)`);
    expect(summary).toContain('DEPLOY_TIMEOUT: The run passed its timeout of 3000 ms');
    expect(summary).toContain('hint: ');
    const [status] = jsonLines((await runBerth(['status', '--json'], { cwd: project.path })).stdout);
    expect(status).toMatchObject({ revision: verified, healthy: true });
  });
});
