import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '@berth/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildProvider, buildStateStore } from './build-target.js';
import { isConfigError } from './config-error.js';
import { validateConfig } from './load-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-cli-target-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const file = '/project/berth.config.json';
const service = { spec: { image: { ref: 'nginx:1' } } };
const role = 'arn:aws:iam::123456789012:role/Berth';

function contextWith(env: NodeJS.ProcessEnv, redactor = new Redactor()) {
  return { file, dir, env, onSecret: (value: string) => redactor.add(value) };
}

async function rejection(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => {
      throw new Error('accepted');
    },
    (caught: unknown) => caught,
  );
  expect(isConfigError(error)).toBe(true);
  const berth = error as Error & { hint: string };
  return `${berth.message}\n${berth.hint}`;
}

describe('AWS targets', () => {
  it.each([
    ['app-runner', { accessRoleArn: role }, 'aws-app-runner'],
    ['ecs-express', { executionRoleArn: role, infrastructureRoleArn: role }, 'aws-ecs-express'],
  ])('%s builds its provider with credentials read by reference', async (kind, roles, name) => {
    const config = validateConfig(file, {
      targets: {
        aws: {
          kind,
          options: {
            region: 'eu-west-1',
            ...roles,
            credentials: {
              accessKeyId: { fromEnv: 'KEY_ID' },
              secretAccessKey: { fromFile: 'aws-secret.txt' },
            },
          },
        },
      },
      services: { api: { ...service, target: 'aws' } },
    });
    await writeFile(join(dir, 'aws-secret.txt'), 'file-secret-access-key\n');
    const redactor = new Redactor();
    const provider = await buildProvider(config, 'aws', contextWith({ KEY_ID: 'AKIAEXAMPLE0001' }, redactor));
    expect(provider.name).toBe(name);
    // Both values are known to the run's redactor: nothing the CLI prints or logs can show them.
    expect(redactor.text('AKIAEXAMPLE0001 file-secret-access-key')).not.toMatch(/AKIA|file-secret/);
    await provider.close?.();
  });

  it('a bad option names the field under targets.<name>.options, and the provider docs', async () => {
    const config = validateConfig(file, {
      targets: { aws: { kind: 'app-runner', options: { region: 'Europe', accessRoleArn: 'role' } } },
      services: { api: { ...service, target: 'aws' } },
    });
    const text = await rejection(buildProvider(config, 'aws', contextWith({})));
    expect(text).toContain(`${file}: targets.aws.options.region: must be an AWS region`);
    expect(text).toContain('targets.aws.options.accessRoleArn: must be an IAM role ARN');
    expect(text).toContain('docs/providers/aws.md');
  });

  it('credentials missing a field, or an unset variable, are config errors naming the field', async () => {
    const config = validateConfig(file, {
      targets: {
        aws: {
          kind: 'ecs-express',
          options: {
            region: 'eu-west-1',
            executionRoleArn: role,
            infrastructureRoleArn: role,
            credentials: { accessKeyId: { fromEnv: 'KEY_ID' }, secretKey: { fromEnv: 'SECRET' } },
          },
        },
      },
      services: { api: { ...service, target: 'aws' } },
    });
    const unset = await rejection(buildProvider(config, 'aws', contextWith({})));
    expect(unset).toContain(
      'targets.aws.options.credentials.accessKeyId.fromEnv: environment variable KEY_ID is not set',
    );
    const wrong = await rejection(
      buildProvider(config, 'aws', contextWith({ KEY_ID: 'AKIAEXAMPLE0001', SECRET: 'sssssssssss' })),
    );
    expect(wrong).toContain('targets.aws.options.credentials.secretAccessKey');
    expect(wrong).toContain('targets.aws.options.credentials: unknown field secretKey');
    expect(wrong).not.toContain('sssssssssss');
  });
});

describe('cloud-run targets', () => {
  it('take an OAuth access token by reference; a literal one is refused', async () => {
    const config = validateConfig(file, {
      targets: {
        gcp: {
          kind: 'cloud-run',
          options: { project: 'my-project', region: 'europe-west1', accessToken: { fromEnv: 'GCP_TOKEN' } },
        },
      },
      services: { api: { ...service, target: 'gcp' } },
    });
    const redactor = new Redactor();
    const provider = await buildProvider(
      config,
      'gcp',
      contextWith({ GCP_TOKEN: 'ya29.token-value' }, redactor),
    );
    expect(provider.name).toBe('gcp-cloud-run');
    expect(redactor.text('Bearer ya29.token-value')).toBe('Bearer [redacted]');
    await provider.close?.();
    expect(() =>
      validateConfig(file, {
        targets: {
          gcp: { kind: 'cloud-run', options: { project: 'p', region: 'r', accessToken: 'ya29.x' } },
        },
        services: { api: service },
      }),
    ).toThrow(/targets\.gcp\.options\.accessToken: is a credential written in the config file/);
  });
});

describe('team state stores', () => {
  it('s3 credentials are checked like a target’s', async () => {
    const config = validateConfig(file, {
      state: { kind: 's3', options: { bucket: 'b', credentials: { accessKeyId: { fromEnv: 'KEY_ID' } } } },
      services: { api: service },
    });
    const text = await rejection(buildStateStore(config, contextWith({ KEY_ID: 'AKIAEXAMPLE0001' })));
    expect(text).toContain('state.options.credentials.secretAccessKey');
  });

  it('a store package installed beside the config is the one used', async () => {
    const folder = join(dir, 'node_modules', '@berth', 'state-postgres');
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, 'package.json'),
      JSON.stringify({ name: '@berth/state-postgres', type: 'module', exports: './index.js' }),
    );
    await writeFile(
      join(folder, 'index.js'),
      'export function postgresStateStore(options) { return { besideTheConfig: true, options }; }\n',
    );
    const config = validateConfig(file, {
      state: { kind: 'postgres', options: { connectionString: { fromEnv: 'DATABASE_URL' } } },
      services: { api: service },
    });
    const store = await buildStateStore(config, contextWith({ DATABASE_URL: 'postgres://db/berth' }));
    expect(store).toEqual({ besideTheConfig: true, options: { connectionString: 'postgres://db/berth' } });
  });

  it('a postgres store without a connection string names state.options', async () => {
    const config = validateConfig(file, { state: { kind: 'postgres' }, services: { api: service } });
    const text = await rejection(buildStateStore(config, contextWith({})));
    expect(text).toContain(`${file}: state.options: postgresStateStore needs \`connectionString\``);
  });

  it('the password inside a connection string read by reference is redacted on its own too', async () => {
    const config = validateConfig(file, {
      state: { kind: 'postgres', options: { connectionString: { fromEnv: 'DATABASE_URL' } } },
      services: { api: service },
    });
    const redactor = new Redactor();
    const store = await buildStateStore(
      config,
      contextWith({ DATABASE_URL: 'postgres://berth:s%3Dcret-pass@127.0.0.1:1/berth' }, redactor),
    );
    expect(redactor.text('password s=cret-pass rejected')).toBe('password [redacted] rejected');
    await (store as { close?: () => Promise<void> }).close?.();
  });
});
