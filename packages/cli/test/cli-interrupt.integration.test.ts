/**
 * Ctrl-C twice, as a child process: a deploy whose hook ignores the run's AbortSignal (a step that
 * does not stop) gets SIGINT, says it stops at the next safe point, gets SIGINT again and exits 130
 * at once, telling what may be left behind; the run log records it. The next `up` takes over the
 * lock the dead run left and converges.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import {
  freePort,
  get,
  removeServices,
  temporaryFolder,
  testDocker,
  uniqueName,
} from '../../provider-ssh/test/docker-test-kit.js';
import { jsonLines, runBerth, startBerth } from './cli-kit.js';

const env = requireTestEnvironment(['docker', 'images']);
const docker = testDocker(env.docker.socketPath);
const project = await temporaryFolder('berth-cli-interrupt');
const secrets = await temporaryFolder('berth-cli-interrupt-secrets');
const name = uniqueName('cli-int');
const port = await freePort();

afterAll(async () => {
  await removeServices(docker, [`${name}-dev`]);
  await project.remove();
  await secrets.remove();
});

/** A config whose `stuck` hook, before verify, waits ten minutes and ignores the AbortSignal. */
function config(options: { stuck: boolean }) {
  return `export default {
  targets: { local: { kind: 'local-docker', options: { hostPort: ${port}, stopTimeoutSeconds: 1, secretsDir: ${JSON.stringify(secrets.path)} } } },
  services: {
    '${name}': {
      spec: {
        image: { ref: ${JSON.stringify(env.images.healthService)} },
        port: ${port},
        env: { PORT: '${port}' },
        health: { timeoutMs: 30000, intervalMs: 200, maxIntervalMs: 500 },
      },
      hooks: ${
        options.stuck
          ? `[{ name: 'stuck', before: 'verify', run: ({ log }) => { log('waiting for a slow warm-up'); return new Promise((resolve) => setTimeout(resolve, 600000)); } }]`
          : '[]'
      },
    },
  },
};
`;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

describe('Ctrl-C twice', () => {
  it('the first asks for a safe point, the second forces exit 130 and says what may be left', async () => {
    await writeFile(join(project.path, 'berth.config.ts'), config({ stuck: true }));
    const run = startBerth(['up', '--verbose'], { cwd: project.path });
    await until(
      () => run.output().stdout.includes('[hook stuck] waiting for a slow warm-up'),
      'the hook ran',
    );
    run.child.kill('SIGINT');
    await until(
      () => run.output().stdout.includes('stopping at the next safe point (Ctrl-C again to force)'),
      'the first interrupt was acknowledged',
    );
    // The hook ignores the signal: the run is still there, waiting for its safe point.
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    const result = await run.exited;
    expect(result.code).toBe(130);
    expect(result.stderr).toContain(`berth: forced exit before a safe point: ${name}-dev may be mid-change.`);
    expect(result.stderr).toContain('the next berth run on this machine takes them over');
    expect(result.stderr).toContain('Run `berth status` to see what is live, then `berth up` to converge');
    expect(result.stderr).toMatch(/log: .*\.deployment\/logs\/.*-up-\d+\.log/);
    // No summary: the run never finished.
    expect(result.stdout).not.toContain('Summary');

    const logDir = join(project.path, '.deployment', 'logs');
    const [logFile] = (await readdir(logDir)).filter((file) => file.includes('-up-'));
    const entries = jsonLines(await readFile(join(logDir, logFile as string), 'utf8'));
    expect(entries.at(-1)).toMatchObject({ forced: true });
    expect(
      entries.some(
        (entry) => entry.message === 'berth: stopping at the next safe point (Ctrl-C again to force)…',
      ),
    ).toBe(true);
  });

  it('what it left: the revision it deployed, unverified, and its locks; the next up takes them over', async () => {
    const status = jsonLines((await runBerth(['status', '--json'], { cwd: project.path })).stdout)[0];
    // The container was created before the hook: the service exists, and the target's record says
    // its revision was never verified, so status reports that deploy as failed (not as live and good).
    expect(status).toMatchObject({
      service: `${name}-dev`,
      exists: true,
      lastDeploy: expect.objectContaining({ status: 'failed' }),
    });

    await writeFile(join(project.path, 'berth.config.ts'), config({ stuck: false }));
    const up = await runBerth(['up'], { cwd: project.path });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(
      new RegExp(
        `${name}-dev  warning: took over the lock left by .+ \\(pid \\d+, run .+\\): its process is gone`,
      ),
    );
    expect(up.stdout).toMatch(new RegExp(`✓ ${name}-dev\\s+(succeeded|noop)`));
    expect((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).status).toBe(200);
  });
});
