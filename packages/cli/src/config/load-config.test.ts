import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isConfigError } from './config-error.js';
import { loadConfig, validateConfig } from './load-config.js';
import { resolveService } from './resolve-service.js';

const selfModule = fileURLToPath(new URL('../define-config.ts', import.meta.url));
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-cli-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const minimal = { services: { api: { spec: { image: { ref: 'nginx:1' } } } } };

/** The config error `body` raises, as text: message and hint. */
function rejection(raw: unknown, file = '/project/berth.config.json'): string {
  try {
    validateConfig(file, raw);
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    const berth = error as Error & { hint: string };
    return `${berth.message}\n${berth.hint}`;
  }
  throw new Error('the config was accepted');
}

describe('loadConfig', () => {
  it('reads berth.config.ts with defineConfig from @berth/cli', async () => {
    await writeFile(
      join(dir, 'berth.config.ts'),
      `import { defineConfig } from '@berth/cli';\nconst port: number = 8080;\nexport default defineConfig({ services: { api: { spec: { image: { build: { context: './app' } }, port } } } });\n`,
    );
    const loaded = await loadConfig({ cwd: dir, selfModule });
    expect(loaded.file).toBe(join(dir, 'berth.config.ts'));
    expect(loaded.config.services.api?.spec.port).toBe(8080);
    const resolved = resolveService(loaded.config, 'api', 'prod', loaded.dir);
    expect(resolved.spec.image).toEqual({ build: { context: join(dir, 'app') } });
    expect(resolved.service).toBe('api-prod');
  });

  it('takes hooks and provider objects from berth.config.ts; hooks of the file run for every service', async () => {
    await writeFile(
      join(dir, 'berth.config.ts'),
      `import { defineConfig } from '@berth/cli';
const mine = { specificationVersion: 'v1', name: 'mine', observe: async () => undefined, apply: async () => ({}), destroy: async () => ({ removed: [] }) };
export default defineConfig({
  targets: { mine: { provider: mine as never } },
  hooks: [{ name: 'audit', after: 'verify', run: () => {} }],
  services: { api: { target: 'mine', spec: { image: { ref: 'nginx:1' } }, hooks: [{ name: 'warm', after: 'verify', run: () => {} }] } },
});
`,
    );
    const loaded = await loadConfig({ cwd: dir, selfModule });
    expect(loaded.config.targets.mine?.provider?.name).toBe('mine');
    const resolved = resolveService(loaded.config, 'api', 'dev', loaded.dir);
    expect(resolved.hooks.map((hook) => hook.name)).toEqual(['audit', 'warm']);
    expect(resolved.targetName).toBe('mine');
  });

  it('rejects a hook without run, naming the field', async () => {
    await writeFile(
      join(dir, 'berth.config.ts'),
      "export default { services: { api: { spec: { image: { ref: 'nginx:1' } }, hooks: [{ name: 'x' }] } } };\n",
    );
    const error = (await loadConfig({ cwd: dir, selfModule }).catch((caught: Error) => caught)) as Error;
    expect(error.message).toContain('services.api.hooks.0: must be a hook object');
  });

  it('reads JSON and YAML, JSON first', async () => {
    await writeFile(
      join(dir, 'berth.config.yaml'),
      'services:\n  web:\n    spec:\n      image: { ref: "nginx:1" }\n',
    );
    expect(Object.keys((await loadConfig({ cwd: dir })).config.services)).toEqual(['web']);
    await writeFile(join(dir, 'berth.config.json'), JSON.stringify(minimal));
    expect(Object.keys((await loadConfig({ cwd: dir })).config.services)).toEqual(['api']);
  });

  it('names the file and the line of a YAML syntax error', async () => {
    await writeFile(join(dir, 'berth.config.yaml'), 'services:\n  web: [unclosed\n');
    const error = await loadConfig({ cwd: dir }).catch((caught: Error) => caught);
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toContain(join(dir, 'berth.config.yaml'));
    expect((error as Error).message).toMatch(/line \d/);
  });

  it('says to run berth init when there is no config', async () => {
    const error = (await loadConfig({ cwd: dir }).catch((caught: Error) => caught)) as Error & {
      hint: string;
    };
    expect(isConfigError(error)).toBe(true);
    expect(error.hint).toContain('berth init');
  });

  it('names a missing --config file', async () => {
    const error = (await loadConfig({ cwd: dir, file: 'nope.json' }).catch(
      (caught: Error) => caught,
    )) as Error;
    expect(error.message).toContain('nope.json: file not found');
  });
});

describe('validateConfig: every error names the file, the field and the fix', () => {
  it.each([
    ['an unknown field', { ...minimal, servics: {} }, ['servics', 'Remove "servics"']],
    [
      'a wrong type',
      { services: { api: { spec: { image: { ref: 'nginx:1' }, port: 'eighty' } } } },
      ['services.api.spec.port', 'Give a number for "port"'],
    ],
    [
      'a literal secret value',
      { services: { api: { spec: { image: { ref: 'nginx:1' }, secrets: { KEY: { value: 'hunter22' } } } } } },
      ['services.api.spec.secrets.KEY', 'fromEnv'],
    ],
    [
      'a literal credential in target options',
      {
        ...minimal,
        targets: {
          local: {
            kind: 'local-docker',
            options: { registry: { host: 'r:5000', username: 'u', password: 'p4ss' } },
          },
        },
      },
      ['targets.local.options.registry.password', '{ fromEnv: "PASSWORD" }'],
    ],
    [
      'an unknown target kind',
      { ...minimal, targets: { aws: { kind: 'lambda', options: {} } } },
      [
        'targets.aws.kind',
        '"lambda" is not a known kind',
        'Use one of "local-docker", "ssh-host", "cloud-run", "app-runner", "ecs-express", "app-platform"',
      ],
    ],
    [
      'a literal DigitalOcean token',
      { ...minimal, targets: { do: { kind: 'app-platform', options: { token: 'dop_v1_abc' } } } },
      ['targets.do.options.token', '{ fromEnv: "TOKEN" }'],
    ],
    [
      'a literal DigitalOcean secrets key',
      {
        ...minimal,
        targets: {
          do: { kind: 'app-platform', options: { token: { fromEnv: 'DO_TOKEN' }, secretsKey: 'a2V5' } },
        },
      },
      ['targets.do.options.secretsKey', '{ fromEnv: "SECRETSKEY" }'],
    ],
    [
      'a literal AWS secret access key',
      {
        ...minimal,
        targets: {
          aws: {
            kind: 'ecs-express',
            options: {
              region: 'eu-west-1',
              credentials: {
                accessKeyId: { fromEnv: 'AWS_ACCESS_KEY_ID' },
                secretAccessKey: 'wJalrXUtnFEMI',
              },
            },
          },
        },
      },
      ['targets.aws.options.credentials.secretAccessKey', 'is a credential written in the config file'],
    ],
    [
      'a connection string with a password in it',
      {
        ...minimal,
        state: { kind: 'postgres', options: { connectionString: 'postgres://berth:hunter22@db:5432/berth' } },
      },
      ['state.options.connectionString', 'is a URL with a password', '{ fromEnv: "CONNECTION_STRING" }'],
    ],
    [
      'a target that does not exist',
      { services: { api: { target: 'gcp', spec: { image: { ref: 'nginx:1' } } } } },
      ['services.api.target', 'names target "gcp"', 'add targets.gcp'],
    ],
    [
      'an unknown dependency',
      { services: { api: { dependsOn: ['db'], spec: { image: { ref: 'nginx:1' } } } } },
      ['services.api.dependsOn.0', '"db" is not a service', 'Use one of "api"'],
    ],
    [
      'a dependency cycle',
      {
        services: {
          a: { dependsOn: ['b'], spec: { image: { ref: 'nginx:1' } } },
          b: { dependsOn: ['a'], spec: { image: { ref: 'nginx:1' } } },
        },
      },
      ['services.a.dependsOn', 'cycle a → b → a', 'Remove one'],
    ],
    ['no services', { services: {} }, ['services', 'at least one service']],
    [
      'an override of an unknown field',
      { services: { api: { spec: { image: { ref: 'nginx:1' } }, environments: { prod: { replicas: 3 } } } } },
      ['services.api.environments.prod', 'replicas'],
    ],
  ])('%s', (_name, raw, expected) => {
    const text = rejection(raw);
    expect(text).toContain('/project/berth.config.json');
    for (const part of expected) expect(text).toContain(part);
    // A rejected value is never echoed: it may be a secret.
    expect(text).not.toMatch(/hunter22|wJalrXUtnFEMI|p4ss/);
  });

  it('fills in the defaults', () => {
    const config = validateConfig('berth.config.json', minimal);
    expect(config.defaults).toEqual({ environment: 'dev', target: 'local', concurrency: 2 });
    expect(config.state).toEqual({ kind: 'file', options: {} });
  });

  it('accepts references for credentials', () => {
    expect(() =>
      validateConfig('berth.config.json', {
        ...minimal,
        targets: {
          local: {
            kind: 'local-docker',
            options: {
              registry: { host: 'r:5000', username: 'u', password: { fromEnv: 'REGISTRY_PASSWORD' } },
            },
          },
        },
      }),
    ).not.toThrow();
  });
});

describe('resolveService', () => {
  it('applies an environment override over the base spec', () => {
    const config = validateConfig('berth.config.json', {
      targets: { gcp: { kind: 'cloud-run', options: { project: 'my-project', region: 'europe-west1' } } },
      services: {
        api: {
          spec: {
            image: { ref: 'nginx:1' },
            env: { A: '1', B: '2' },
            resources: { cpu: 1 },
            secrets: { K: { fromFile: 'key.txt' } },
          },
          environments: {
            prod: { target: 'gcp', env: { B: '3' }, resources: { memory: '1Gi' }, rollback: 'never' },
          },
        },
      },
    });
    const prod = resolveService(config, 'api', 'prod', '/project');
    expect(prod.targetName).toBe('gcp');
    expect(prod.spec).toMatchObject({
      name: 'api',
      environment: 'prod',
      env: { A: '1', B: '3' },
      resources: { cpu: 1, memory: '1Gi' },
      rollback: 'never',
      secrets: { K: { fromFile: '/project/key.txt' } },
    });
    const dev = resolveService(config, 'api', 'dev', '/project');
    expect(dev.targetName).toBe('local');
    expect(dev.spec.env).toEqual({ A: '1', B: '2' });
  });
});
