/**
 * The team state stores from the CLI, as a child process: a config whose `state` is the shared test
 * environment's PostgreSQL or moto S3, credentials by reference. A deploy from one working
 * directory is seen by `history` and `status` from another (a second checkout, a CI job); nothing
 * is kept in `.deployment/` but run logs; the credentials never reach the output or the logs.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as s3 from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const env = requireTestEnvironment(['docker', 'images', 'postgres', 's3']);
const docker = testDocker(env.docker.socketPath);

const secrets = await temporaryFolder('berth-cli-stores-secrets');
const folders: { remove(): Promise<void> }[] = [secrets];
const deployed: string[] = [];
afterAll(async () => {
  await removeServices(docker, deployed);
  for (const folder of folders) await folder.remove();
});

/** Two checkouts of one project: the same config in two folders. */
async function checkouts(state: unknown, name: string, port: number) {
  const config = {
    state,
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
          env: { PORT: String(port) },
          secrets: { API_KEY: { generate: 'api-key' } },
          health: { timeoutMs: 30000, intervalMs: 200, maxIntervalMs: 500 },
        },
      },
    },
  };
  const made = [];
  for (const label of ['first', 'second']) {
    const folder = await temporaryFolder(`berth-cli-stores-${label}`);
    folders.push(folder);
    await writeFile(join(folder.path, 'berth.config.json'), JSON.stringify(config, null, 2));
    made.push(folder.path);
  }
  deployed.push(`${name}-dev`);
  return made as [string, string];
}

/** Both folders' output and run logs. */
async function everythingWritten(folders: string[], outputs: string[]): Promise<string> {
  const logs: string[] = [];
  for (const folder of folders) {
    const dir = join(folder, '.deployment', 'logs');
    for (const file of await readdir(dir)) logs.push(await readFile(join(dir, file), 'utf8'));
  }
  expect(logs.length).toBeGreaterThanOrEqual(4);
  return [...outputs, ...logs].join('\n');
}

/** The same story on each store: up in one folder, history/status/up (noop) from the other, down. */
async function sharedStory(options: {
  folders: [string, string];
  name: string;
  port: number;
  env: Record<string, string>;
}) {
  const [first, second] = options.folders;
  const service = `${options.name}-dev`;
  const outputs: string[] = [];
  const berth = async (cwd: string, args: string[]) => {
    const run = await runBerth(args, { cwd, env: options.env });
    outputs.push(run.stdout, run.stderr);
    return run;
  };

  const up = await berth(first, ['up', '--json']);
  expect(up.code, up.stdout + up.stderr).toBe(0);
  const result = jsonLines(up.stdout).at(-1) as Record<string, unknown>;
  expect(result).toMatchObject({ type: 'result', service, status: 'succeeded' });
  expect((await get(`http://127.0.0.1:${options.port}`, '/.well-known/health')).status).toBe(200);
  // The first folder keeps no state of its own: only the run logs.
  expect(await readdir(join(first, '.deployment'))).toEqual(['logs']);

  const history = await berth(second, ['history', '--json']);
  expect(history.code, history.stderr).toBe(0);
  expect(jsonLines(history.stdout)).toEqual([
    expect.objectContaining({
      type: 'history',
      service,
      kind: 'deploy',
      status: 'succeeded',
      revision: result.revision,
    }),
  ]);
  const status = await berth(second, ['status', '--json']);
  expect(jsonLines(status.stdout)[0]).toMatchObject({
    service,
    exists: true,
    revision: result.revision,
    lastDeploy: expect.objectContaining({ status: 'succeeded' }),
  });
  // The second checkout converges on what the first deployed: nothing to do.
  const again = await berth(second, ['up']);
  expect(again.code, again.stdout + again.stderr).toBe(0);
  expect(again.stdout).toMatch(new RegExp(`✓ ${service}\\s+noop`));

  const down = await berth(second, ['down', '--forget-state']);
  expect(down.code, down.stdout + down.stderr).toBe(0);
  const after = await berth(first, ['history', '--json']);
  expect(after.code).toBe(0);
  expect(jsonLines(after.stdout)).toEqual([]);
  return everythingWritten(options.folders, outputs);
}

describe('state: postgres', () => {
  const schema = `cli_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: env.postgres.connectionString, max: 1 });
  afterAll(async () => {
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  it('a deploy from one folder is in the database; another folder sees it; the password is never shown', async () => {
    const name = uniqueName('cli-pg');
    const port = await freePort();
    const folders = await checkouts(
      { kind: 'postgres', options: { connectionString: { fromEnv: 'DATABASE_URL' }, schema } },
      name,
      port,
    );
    const written = await sharedStory({
      folders,
      name,
      port,
      env: { DATABASE_URL: env.postgres.connectionString },
    });
    const { rows } = await admin.query(`select count(*)::int as n from "${schema}".history`);
    // down --forget-state removed the service's rows; the tables are Berth's, in its own schema.
    expect(rows).toEqual([{ n: 0 }]);
    expect(written).not.toContain(env.postgres.password);
    expect(written).not.toContain(env.postgres.connectionString);
  });

  it('doctor reads the store: ok, or the error with its hint, the password never shown', async () => {
    const name = uniqueName('cli-pg3');
    const [folder] = await checkouts(
      { kind: 'postgres', options: { connectionString: { fromEnv: 'DATABASE_URL' }, schema } },
      name,
      await freePort(),
    );
    const ok = await runBerth(['doctor'], {
      cwd: folder,
      env: { DATABASE_URL: env.postgres.connectionString },
    });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('✓ state store (postgres): read');
    const wrongPassword = `wrong-${randomBytes(8).toString('hex')}`;
    const url = new URL(env.postgres.connectionString);
    url.password = wrongPassword;
    const failed = await runBerth(['doctor'], { cwd: folder, env: { DATABASE_URL: url.href } });
    expect(failed.code, failed.stdout + failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/✗ state store \(postgres\): read {2}.+/);
    expect(failed.stdout).toMatch(/ {4}hint: .+/);
    expect(failed.stdout + failed.stderr).not.toContain(wrongPassword);
  });

  it('the history lands in the database while the service lives', async () => {
    const name = uniqueName('cli-pg2');
    const port = await freePort();
    const [folder] = await checkouts(
      { kind: 'postgres', options: { connectionString: { fromEnv: 'DATABASE_URL' }, schema } },
      name,
      port,
    );
    const up = await runBerth(['up'], { cwd: folder, env: { DATABASE_URL: env.postgres.connectionString } });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const { rows } = await admin.query(`select count(*)::int as n from "${schema}".history`);
    expect(rows).toEqual([{ n: 1 }]);
    const down = await runBerth(['down'], {
      cwd: folder,
      env: { DATABASE_URL: env.postgres.connectionString },
    });
    expect(down.code, down.stdout + down.stderr).toBe(0);
  });
});

describe('state: s3', () => {
  const bucket = `berth-cli-${randomBytes(4).toString('hex')}`;
  // moto accepts any key pair: these are this test's own, given to berth by reference only.
  const keys = {
    accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('base64url'),
  };
  const client = new s3.S3Client({
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    credentials: keys,
  });
  beforeAll(async () => {
    await client.send(new s3.CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(async () => {
    const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket }));
    for (const object of listed.Contents ?? [])
      await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
    await client.send(new s3.DeleteBucketCommand({ Bucket: bucket }));
    client.destroy();
  });

  it('a deploy from one folder is in the bucket; another folder sees it; the keys are never shown', async () => {
    const name = uniqueName('cli-s3');
    const port = await freePort();
    const folders = await checkouts(
      {
        kind: 's3',
        options: {
          bucket,
          prefix: 'team/',
          endpoint: env.s3.endpoint,
          region: env.s3.region,
          forcePathStyle: true,
          credentials: {
            accessKeyId: { fromEnv: 'STATE_ACCESS_KEY_ID' },
            secretAccessKey: { fromEnv: 'STATE_SECRET_ACCESS_KEY' },
          },
        },
      },
      name,
      port,
    );
    const storyEnv = { STATE_ACCESS_KEY_ID: keys.accessKeyId, STATE_SECRET_ACCESS_KEY: keys.secretAccessKey };
    // Before down: the state object is in the bucket under the prefix.
    const up = await runBerth(['up'], { cwd: folders[0], env: storyEnv });
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: 'team/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual([`team/${name}-dev/state.json`]);
    const down = await runBerth(['down', '--forget-state'], { cwd: folders[0], env: storyEnv });
    expect(down.code, down.stdout + down.stderr).toBe(0);

    const written = await sharedStory({ folders, name, port, env: storyEnv });
    expect(written).not.toContain(keys.secretAccessKey);
    expect(written).not.toContain(keys.accessKeyId);
  });
});
