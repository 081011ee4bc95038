/**
 * `pnpm --filter @berth/bench trials` (`node --import tsx bench/trials/run.ts`): the reliability
 * trials in full on this machine, printed as a table; `--write-docs` rewrites the results section of
 * docs/reliability.md with the machine and the date.
 *
 *   node --import tsx bench/trials/run.ts [--kills 50] [--races 20] [--restarts 5] [--write-docs]
 *
 * Needs the test environment (scripts/test-env.sh): docker, images, postgres, s3.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import Docker from 'dockerode';
import pg from 'pg';
import { requireTestEnvironment } from '../../test-support/test-env.ts';
import { describeMachine } from '../machine.ts';
import type { StoreConfig } from './stores.ts';
import {
  killTrials,
  pgCtlRestart,
  postgresRestartTrials,
  raceTrials,
  type SeriesResult,
  trialFolder,
} from './trials.ts';

const { values: flags } = parseArgs({
  options: {
    kills: { type: 'string', default: '50' },
    races: { type: 'string', default: '20' },
    restarts: { type: 'string', default: '5' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const env = requireTestEnvironment(['docker', 'images', 'postgres', 's3']);
const environment = {
  socketPath: env.docker.socketPath,
  image: env.images.healthService,
  restartPostgres: pgCtlRestart(env.postgres.pgCtl, env.postgres.dataDir),
};
const schema = `berth_trials_${randomBytes(3).toString('hex')}`;
const bucket = `berth-trials-${randomBytes(3).toString('hex')}`;
const s3 = new S3Client({
  endpoint: env.s3.endpoint,
  region: env.s3.region,
  forcePathStyle: true,
  credentials: { accessKeyId: env.s3.accessKeyId, secretAccessKey: env.s3.secretAccessKey },
});
await s3.send(new CreateBucketCommand({ Bucket: bucket }));
const store = async (kind: StoreConfig['kind']): Promise<StoreConfig> =>
  kind === 'file'
    ? { kind, dir: `${await trialFolder()}/.deployment` }
    : kind === 'postgres'
      ? { kind, connectionString: env.postgres.connectionString, schema }
      : {
          kind,
          endpoint: env.s3.endpoint,
          region: env.s3.region,
          bucket,
          prefix: `${randomBytes(3).toString('hex')}/`,
          accessKeyId: env.s3.accessKeyId,
          secretAccessKey: env.s3.secretAccessKey,
        };

const started = Date.now();
const results: SeriesResult[] = [];
const log = (result: SeriesResult) => {
  results.push(result);
  console.log(
    `${result.trial} / ${result.store}: ${result.passed}/${result.trials} passed, secrets found ${result.secretOccurrences}`,
  );
  for (const failure of result.failures) console.log(`  ${failure}`);
};
for (const kind of ['file', 'postgres'] as const)
  log(await killTrials(environment, await store(kind), Number(flags.kills)));
for (const kind of ['file', 'postgres', 's3'] as const)
  log(await raceTrials(environment, await store(kind), Number(flags.races)));
log(
  await postgresRestartTrials(
    environment,
    (await store('postgres')) as Extract<StoreConfig, { kind: 'postgres' }>,
    Number(flags.restarts),
  ),
);
const admin = new pg.Pool({ connectionString: env.postgres.connectionString });
await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await admin.end();
s3.destroy();

const machine = await describeMachine(new Docker({ socketPath: env.docker.socketPath }));
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const table = [
  '| Trial | Store | Trials | Passed | Secret values found | Notes |',
  '| --- | --- | ---: | ---: | ---: | --- |',
  ...results.map(
    (result) =>
      `| ${result.trial} | ${result.store} | ${result.trials} | ${result.passed} | ${result.secretOccurrences} | ${[...result.notes, ...result.failures].join('; ').replaceAll('|', '\\|') || '—'} |`,
  ),
].join('\n');
const section = [
  `Run on ${new Date().toISOString().slice(0, 10)} in ${minutes} min: ${machine.os}, kernel ${machine.kernel}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Docker ${machine.docker} (${machine.storageDriver}), Node ${machine.node}, PostgreSQL 15, moto 5.2 (S3). The machine was shared with other work during the run.`,
  '',
  table,
].join('\n');
console.log(`\n${section}`);
if (flags['write-docs']) {
  const path = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url));
  const text = await readFile(path, 'utf8');
  const begin = '<!-- trials:begin -->';
  const end = '<!-- trials:end -->';
  await writeFile(
    path,
    `${text.slice(0, text.indexOf(begin) + begin.length)}\n${section}\n${text.slice(text.indexOf(end))}`,
  );
  console.log(`wrote ${path}`);
}
process.exit(
  results.every((result) => result.passed === result.trials && result.secretOccurrences === 0) ? 0 : 1,
);
