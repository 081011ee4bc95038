// The reliability trials in their short form (a few of each); `pnpm trials` runs the full figures.
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../test-support/test-env.ts';
import type { StoreConfig } from './stores.ts';
import { killTrials, pgCtlRestart, postgresRestartTrials, raceTrials, trialFolder } from './trials.ts';

const env = requireTestEnvironment(['docker', 'images', 'postgres', 's3']);
const environment = {
  socketPath: env.docker.socketPath,
  image: env.images.healthService,
  restartPostgres: pgCtlRestart(env.postgres.pgCtl, env.postgres.dataDir),
};
const schema = `berth_trials_${randomBytes(3).toString('hex')}`;
const bucket = `berth-trials-${randomBytes(3).toString('hex')}`;
const stores: Record<StoreConfig['kind'], () => Promise<StoreConfig>> = {
  file: async () => ({ kind: 'file', dir: `${await trialFolder()}/.deployment` }),
  postgres: async () => ({ kind: 'postgres', connectionString: env.postgres.connectionString, schema }),
  s3: async () => ({
    kind: 's3',
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    bucket,
    prefix: `${randomBytes(3).toString('hex')}/`,
    accessKeyId: env.s3.accessKeyId,
    secretAccessKey: env.s3.secretAccessKey,
  }),
};

beforeAll(async () => {
  const client = new S3Client({
    endpoint: env.s3.endpoint,
    region: env.s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
});

afterAll(async () => {
  const admin = new pg.Pool({ connectionString: env.postgres.connectionString });
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await admin.end();
});

describe('reliability trials (short form)', () => {
  it.each([
    'file',
    'postgres',
  ] as const)('kill -9 in up on the %s store: readable, converges, nothing orphaned', async (kind) => {
    const result = await killTrials(environment, await stores[kind](), 3);
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(3);
    expect(result.secretOccurrences).toBe(0);
  }, 300_000);

  it.each([
    'file',
    'postgres',
    's3',
  ] as const)('concurrent up on the %s store: one proceeds, the other gets LOCK_HELD', async (kind) => {
    const result = await raceTrials(environment, await stores[kind](), 2);
    expect(result.failures).toEqual([]);
    expect(result.passed).toBe(2);
    expect(result.secretOccurrences).toBe(0);
  }, 300_000);

  it('PostgreSQL restarted mid-run: the run retries its write, the state stays whole', async () => {
    const result = await postgresRestartTrials(
      environment,
      (await stores.postgres()) as Extract<StoreConfig, { kind: 'postgres' }>,
      2,
    );
    expect(result.failures).toEqual([]);
    expect(result.secretOccurrences).toBe(0);
  }, 300_000);
});
