/**
 * The CLI as a user runs it, against the local Docker engine: init → up → up (noop) → broken deploy
 * (exit 3) → up → rollback → promote → status --json → down, each a child process.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import {
  freePort,
  get,
  managedContainers,
  removeServices,
  temporaryFolder,
  testDocker,
  uniqueName,
} from '../../provider-ssh/test/docker-test-kit.js';
import { jsonLines, runBerth } from './cli-kit.js';

const env = requireTestEnvironment(['docker', 'images']);
const docker = testDocker(env.docker.socketPath);
const name = uniqueName('cli-life');
const project = await temporaryFolder('berth-cli-project');
const secrets = await temporaryFolder('berth-cli-secrets');
const devPort = await freePort();
const prodPort = await freePort();

const server = `import { createServer } from 'node:http';
const port = Number(process.env.PORT ?? 8000);
createServer((request, response) => {
  if (request.url === '/.well-known/health') {
    const broken = process.env.BROKEN === '1';
    response.writeHead(broken ? 500 : 200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ status: broken ? 'failing' : 'ok', version: process.env.VERSION ?? '' }));
    return;
  }
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end('hello from ' + (process.env.VERSION ?? '?'));
}).listen(port, '0.0.0.0');
`;

/** The project's config, as a user would edit it after `berth init`. */
function config(options: { version: string; broken?: boolean }): string {
  return `import { defineConfig } from '@berth/cli';

export default defineConfig({
  targets: {
    local: { kind: 'local-docker', options: { hostPort: ${devPort}, stopTimeoutSeconds: 1, secretsDir: ${JSON.stringify(secrets.path)} } },
    'local-prod': { kind: 'local-docker', options: { hostPort: ${prodPort}, stopTimeoutSeconds: 1, secretsDir: ${JSON.stringify(secrets.path)} } },
  },
  services: {
    '${name}': {
      spec: {
        image: { build: { context: '.' } },
        port: 8000,
        env: { PORT: '8000', VERSION: '${options.version}'${options.broken ? ", BROKEN: '1'" : ''} },
        secrets: { API_KEY: { generate: 'api-key' } },
        health: { path: '/.well-known/health', timeoutMs: ${options.broken ? 6000 : 60000}, intervalMs: 200, maxIntervalMs: 500 },
      },
      environments: { prod: { target: 'local-prod', env: { LOG_LEVEL: 'warn' } } },
    },
  },
});
`;
}

const berth = (args: string[]) => runBerth(args, { cwd: project.path });
const served = async (port: number) =>
  JSON.parse((await get(`http://127.0.0.1:${port}`, '/.well-known/health')).body || '{}');

beforeAll(async () => {
  await writeFile(
    join(project.path, 'package.json'),
    JSON.stringify({ name, private: true, scripts: { start: 'node server.mjs' } }),
  );
  await writeFile(join(project.path, 'server.mjs'), server);
});

afterAll(async () => {
  await removeServices(docker, [`${name}-dev`, `${name}-prod`]);
  await project.remove();
  await secrets.remove();
});

describe('berth, from init to down, against the local Docker engine', () => {
  let firstRevision = '';

  it('init writes a config, a Dockerfile and a .dockerignore for the Node folder', async () => {
    const result = await berth(['init', '--base-image', env.images.node]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('wrote Dockerfile');
    expect(await readFile(join(project.path, 'Dockerfile'), 'utf8')).toContain(
      `ARG BASE_IMAGE=${env.images.node}`,
    );
    expect(await readFile(join(project.path, 'berth.config.ts'), 'utf8')).toContain(`'${name}': {`);
    // The starter config loads, validates and plans (read-only) as written.
    const plan = await berth(['plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(`${name}-dev  create`);
    expect(plan.stdout).toContain('+ secrets.API_KEY');
  });

  it('up deploys it; --json prints events, then one result, nothing else', async () => {
    await writeFile(join(project.path, 'berth.config.ts'), config({ version: '1' }));
    const result = await berth(['up', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    const last = lines.at(-1) as Record<string, unknown>;
    expect(last).toMatchObject({
      type: 'result',
      status: 'succeeded',
      service: `${name}-dev`,
      url: `http://127.0.0.1:${devPort}`,
    });
    expect(lines.filter((line) => line.type === 'result')).toHaveLength(1);
    const events = lines.slice(0, -1);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['phase-start', 'phase-end', 'progress', 'health-check']),
    );
    // The generated key appears masked in the result, and nowhere in full.
    expect((last.secrets as Record<string, string>).API_KEY).toMatch(/^.{4}…\(\d+ chars\)$/);
    expect(result.stderr).toMatch(/log: .*\.deployment\/logs\/.*-up-\d+\.log/);
    firstRevision = String(last.revision);
    expect(await served(devPort)).toEqual({ status: 'ok', version: '1' });
  });

  it('up again is a noop, exit 0', async () => {
    const result = await berth(['up']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`✓ ${name}-dev\\s+noop`));
  });

  it('a broken deploy is rolled back: exit 3, the previous revision serves', async () => {
    await writeFile(join(project.path, 'berth.config.ts'), config({ version: '2', broken: true }));
    const result = await berth(['up']);
    expect(result.code, result.stdout + result.stderr).toBe(3);
    expect(result.stdout).toMatch(new RegExp(`✗ ${name}-dev\\s+rolled-back`));
    expect(result.stdout).toContain('HEALTH_CHECK_FAILED');
    expect(result.stdout).toContain(`rollback to ${firstRevision}: succeeded`);
    expect(await served(devPort)).toEqual({ status: 'ok', version: '1' });
  });

  it('rollback restores the previous verified revision after a good deploy', async () => {
    await writeFile(join(project.path, 'berth.config.ts'), config({ version: '3' }));
    const third = await berth(['up']);
    expect(third.code, third.stderr).toBe(0);
    expect(await served(devPort)).toEqual({ status: 'ok', version: '3' });
    const result = await berth(['rollback']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`revision ${firstRevision}`);
    expect(await served(devPort)).toEqual({ status: 'ok', version: '1' });
  });

  it('promote deploys the image verified in dev to prod, with prod overrides', async () => {
    const result = await berth(['promote', '--from', 'dev', '--to', 'prod']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`✓ ${name}-prod\\s+succeeded\\s+http://127.0.0.1:${prodPort}`));
    // The image verified in dev, with prod's own spec (the config's env).
    expect(await served(prodPort)).toEqual({ status: 'ok', version: '3' });
    const [dev] = jsonLines((await berth(['status', '--json'])).stdout);
    const [prod] = jsonLines((await berth(['status', '--env', 'prod', '--json'])).stdout);
    expect((prod?.image as { digest?: string }).digest).toBe((dev?.image as { digest?: string }).digest);
    const history = await berth(['history', '--env', 'prod', '--json']);
    expect(jsonLines(history.stdout).at(-1)).toMatchObject({
      kind: 'promotion',
      status: 'succeeded',
      promotedFrom: 'dev',
    });
  });

  it('status --json reports each environment, one JSON object per line', async () => {
    const dev = jsonLines((await berth(['status', '--json'])).stdout);
    expect(dev).toHaveLength(1);
    expect(dev[0]).toMatchObject({
      type: 'status',
      service: `${name}-dev`,
      exists: true,
      healthy: true,
      revision: firstRevision,
    });
    const prod = await berth(['status', '--env', 'prod', '--json']);
    expect(prod.code).toBe(0);
    expect(jsonLines(prod.stdout)[0]).toMatchObject({
      service: `${name}-prod`,
      exists: true,
      healthy: true,
      env: expect.objectContaining({ LOG_LEVEL: 'warn' }),
    });
  });

  it('every run wrote a log file, and no secret value is in any of them', async () => {
    const logDir = join(project.path, '.deployment', 'logs');
    const logs = await readdir(logDir);
    expect(logs.some((file) => file.includes('-up-'))).toBe(true);
    expect(logs.some((file) => file.includes('-rollback-'))).toBe(true);
    const text = (await Promise.all(logs.map((file) => readFile(join(logDir, file), 'utf8')))).join('\n');
    expect(text).toContain('"type":"health-check"');
    const values: string[] = [];
    for (const file of (await readdir(secrets.path, { recursive: true })).filter(
      (path) => !path.endsWith('.json'),
    ))
      await readFile(join(secrets.path, file), 'utf8').then(
        (content) => {
          for (const line of content.split('\n')) if (line.trim().length >= 16) values.push(line.trim());
        },
        () => {},
      );
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) expect(text).not.toContain(value);
  });

  it('down removes both environments', async () => {
    const dev = await berth(['down']);
    expect(dev.code, dev.stderr).toBe(0);
    expect(dev.stdout).toMatch(new RegExp(`✓ ${name}-dev\\s+destroyed`));
    expect((await berth(['down', '--env', 'prod'])).code).toBe(0);
    expect(await managedContainers(docker, `${name}-dev`)).toEqual([]);
    expect(await managedContainers(docker, `${name}-prod`)).toEqual([]);
    const status = jsonLines((await berth(['status', '--json'])).stdout);
    expect(status[0]).toMatchObject({ exists: false });
  });
});
