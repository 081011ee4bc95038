/**
 * Several services in one config: `up` deploys them in `dependsOn` order (independent ones at once),
 * stops the dependents of a failed service, and `down` removes dependents first. JSON config,
 * `--json` output parsed line by line.
 */
import { readFile, writeFile } from 'node:fs/promises';
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
import { jsonLines, runBerth } from './cli-kit.js';

const env = requireTestEnvironment(['docker', 'images']);
const docker = testDocker(env.docker.socketPath);
const project = await temporaryFolder('berth-cli-services');
const secrets = await temporaryFolder('berth-cli-services-secrets');
const prefix = uniqueName('cli');
const keys = ['db', 'api', 'web', 'docs'] as const;
const ports = Object.fromEntries(
  await Promise.all(keys.map(async (key) => [key, await freePort()] as const)),
);
const deployed = (key: string) => `${prefix}-${key}-dev`;

function config(options: { failDb?: boolean } = {}) {
  const service = (key: (typeof keys)[number], dependsOn: string[]) => ({
    dependsOn,
    spec: {
      name: `${prefix}-${key}`,
      image: { ref: env.images.healthService },
      port: ports[key],
      env: {
        PORT: String(ports[key]),
        ...(options.failDb && key === 'db' ? { BERTH_TEST_FAIL_HEALTH: '1' } : {}),
      },
      health: { timeoutMs: options.failDb ? 3000 : 30000, intervalMs: 200, maxIntervalMs: 500 },
    },
  });
  return {
    targets: {
      local: { kind: 'local-docker', options: { stopTimeoutSeconds: 1, secretsDir: secrets.path } },
    },
    defaults: { concurrency: 2 },
    services: {
      db: service('db', []),
      api: service('api', ['db']),
      web: service('web', ['api']),
      docs: service('docs', []),
    },
  };
}

const berth = (args: string[]) => runBerth(args, { cwd: project.path });
const eventsOf = (lines: Record<string, unknown>[], service: string) =>
  lines.flatMap((line, index) => (line.service === service && line.type !== 'result' ? [index] : []));

const single = await temporaryFolder('berth-cli-local');
const localPort = await freePort();
const localName = `${prefix}-solo`;

afterAll(async () => {
  await removeServices(docker, [...keys.map(deployed), `${localName}-local`]);
  await single.remove();
  await project.remove();
  await secrets.remove();
});

describe('berth with several services', () => {
  it('up deploys in dependency order, dependencies verified first; one result per service', async () => {
    await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config(), null, 2));
    const result = await berth(['up', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    const results = lines.filter((line) => line.type === 'result');
    expect(results.map((line) => [line.service, line.status])).toEqual(
      keys.map((key) => [deployed(key), 'succeeded']),
    );
    // Results come last, after every event.
    expect(lines.slice(-4)).toEqual(results);
    // A dependent's first event comes after its dependency's last one.
    expect(Math.min(...eventsOf(lines, deployed('api')))).toBeGreaterThan(
      Math.max(...eventsOf(lines, deployed('db'))),
    );
    expect(Math.min(...eventsOf(lines, deployed('web')))).toBeGreaterThan(
      Math.max(...eventsOf(lines, deployed('api'))),
    );
    // docs depends on nothing: it ran alongside the chain, before web started.
    expect(Math.min(...eventsOf(lines, deployed('docs')))).toBeLessThan(
      Math.min(...eventsOf(lines, deployed('web'))),
    );
    for (const key of keys)
      expect((await get(`http://127.0.0.1:${ports[key]}`, '/.well-known/health')).status).toBe(200);
  });

  it('a failed service stops its dependents; the others still run; the summary shows each', async () => {
    await writeFile(
      join(project.path, 'berth.config.json'),
      JSON.stringify(config({ failDb: true }), null, 2),
    );
    const result = await berth(['up']);
    expect(result.code, result.stdout + result.stderr).toBe(3);
    const summary = result.stdout.slice(result.stdout.indexOf('Summary'));
    expect(summary).toMatch(new RegExp(`✗ ${deployed('db')}\\s+rolled-back`));
    expect(summary).toMatch(new RegExp(`- ${deployed('api')}\\s+skipped`));
    expect(summary).toContain('dependency db did not succeed');
    expect(summary).toMatch(new RegExp(`- ${deployed('web')}\\s+skipped`));
    expect(summary).toMatch(new RegExp(`✓ ${deployed('docs')}\\s+noop`));
    // Skipped services were never touched: no event of theirs.
    expect(result.stdout.split('Summary')[0]).not.toContain(deployed('api'));
  });

  it('--service deploys only the named services', async () => {
    await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(config(), null, 2));
    const result = await berth(['plan', '--json', '--service', 'docs', '--service', 'web']);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout).map((line) => [line.type, line.service, line.action])).toEqual([
      ['plan', deployed('web'), 'noop'],
      ['plan', deployed('docs'), 'noop'],
    ]);
  });

  it('down removes dependents before their dependencies', async () => {
    const result = await berth(['down', '--json', '--concurrency', '1']);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    const results = lines.filter((line) => line.type === 'result');
    expect(results.map((line) => line.status)).toEqual(['destroyed', 'destroyed', 'destroyed', 'destroyed']);
    expect(Math.min(...eventsOf(lines, deployed('db')))).toBeGreaterThan(
      Math.max(...eventsOf(lines, deployed('api'))),
    );
    expect(Math.min(...eventsOf(lines, deployed('api')))).toBeGreaterThan(
      Math.max(...eventsOf(lines, deployed('web'))),
    );
  });

  it('local deploys on the local engine and prints the URL, the masked key, the docs link and how to stop', async () => {
    await writeFile(
      join(single.path, 'berth.config.yaml'),
      [
        'targets:',
        `  local: { kind: local-docker, options: { stopTimeoutSeconds: 1, secretsDir: ${JSON.stringify(secrets.path)} } }`,
        'services:',
        '  solo:',
        '    spec:',
        `      name: ${localName}`,
        `      image: { ref: ${JSON.stringify(env.images.healthService)} }`,
        `      port: ${localPort}`,
        `      env: { PORT: "${localPort}" }`,
        '      secrets: { SUPERVAIZER_API_KEY: { generate: api-key } }',
        '',
      ].join('\n'),
    );
    const result = await runBerth(['local'], { cwd: single.path });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`${localName}-local is running at http://127.0.0.1:${localPort}`);
    expect(result.stdout).toContain(`docs:   http://127.0.0.1:${localPort}/docs`);
    expect(result.stdout).toMatch(/key SUPERVAIZER_API_KEY = .{4}…\(\d+ chars\)/);
    expect(result.stdout).toContain('Stop with: berth down --local --env local');
    const stop = await runBerth(['down', '--local', '--env', 'local'], { cwd: single.path });
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`✓ ${localName}-local\\s+destroyed`));
  });

  it('doctor checks every target and secret source, each failure with its hint', async () => {
    const passing = await berth(['doctor']);
    expect(passing.code, passing.stdout).toBe(0);
    expect(passing.stdout).toMatch(/✓ target local \(local-docker\): /);
    expect(passing.stdout).toContain('All checks passed.');
    const broken = JSON.parse(await readFile(join(project.path, 'berth.config.json'), 'utf8'));
    broken.services.api.spec.secrets = { TOKEN: { fromEnv: 'BERTH_TEST_UNSET_TOKEN' } };
    await writeFile(join(project.path, 'berth.config.json'), JSON.stringify(broken));
    const failing = await berth(['doctor', '--json']);
    expect(failing.code).toBe(1);
    const checks = jsonLines(failing.stdout);
    expect(checks.find((check) => check.name === 'secret TOKEN')).toMatchObject({
      type: 'check',
      ok: false,
      message: 'BERTH_TEST_UNSET_TOKEN is not set',
      hint: "Set BERTH_TEST_UNSET_TOKEN in berth's environment.",
    });
  });
});
