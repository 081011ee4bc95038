/**
 * PostgreSQL 15 for @berth/state-postgres: a cluster of our own (initdb once, scram-sha-256 on TCP),
 * started with pg_ctl as the postgres user on loopback, a password-authenticated role and database.
 */
import {
  appendFileSync,
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Component, Context } from './component.ts';
import type { TestEnvConfig } from './config.ts';
import { nonEmpty, readText, secretFile, writeAtomic } from './files.ts';
import { log, TestEnvError } from './log.ts';
import { run, runChecked, succeeds } from './shell.ts';
import { userIds } from './users.ts';

/** What initdb's postgresql.conf gets appended. */
export function renderPostgresConf(config: TestEnvConfig['postgres']): string {
  return `# scripts/test-env.sh
listen_addresses = '127.0.0.1'
port = ${config.port}
unix_socket_directories = '${config.dir}'
max_connections = 200
fsync = on
`;
}

/** The connection string the env file lists. */
export function connectionString(
  user: string,
  password: string,
  host: string,
  port: number,
  database: string,
): string {
  return `postgres://${user}:${password}@${host}:${port}/${database}`;
}

const password = (config: TestEnvConfig): string => (readText(config.postgres.passwordFile) ?? '').trim();

/** psql as the berth role over TCP with the password: its output. */
function psql(config: TestEnvConfig, sql: string, pass = password(config)) {
  const { bin, port, user, database } = config.postgres;
  return run(
    join(bin, 'psql'),
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      user,
      '-d',
      database,
      '-X',
      '-A',
      '-t',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ],
    {
      env: { PGPASSWORD: pass },
    },
  );
}

async function ready(config: TestEnvConfig): Promise<boolean> {
  if (!nonEmpty(config.postgres.passwordFile)) return false;
  const result = await psql(config, 'select 1');
  return result.code === 0 && result.stdout.trim() === '1';
}

const serverRunning = (config: TestEnvConfig): Promise<boolean> =>
  succeeds(join(config.postgres.bin, 'pg_ctl'), ['-D', config.postgres.data, 'status'], { user: 'postgres' });

const ROLE_SQL = `SELECT format('CREATE ROLE %I LOGIN', :'user') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'user') \\gexec
ALTER ROLE :"user" LOGIN CREATEDB PASSWORD :'password';
`;

async function ensure(context: Context): Promise<void> {
  const { config } = context;
  const postgres = config.postgres;
  if (!existsSync(join(postgres.bin, 'initdb')))
    throw new TestEnvError(`PostgreSQL 15 is missing (${postgres.bin}/initdb)`);
  if (!context.check && (await ready(config))) {
    log(`postgres: ready on 127.0.0.1:${postgres.port}`);
    return;
  }
  const ids = await userIds('postgres');
  mkdirSync(postgres.dir, { recursive: true });
  chownSync(postgres.dir, ids.uid, ids.gid);
  chmodSync(postgres.dir, 0o700);
  const pass = secretFile(postgres.passwordFile, 24);
  if (!nonEmpty(join(postgres.data, 'PG_VERSION'))) {
    log(`postgres: initdb ${postgres.data}`);
    const pwfile = join(postgres.dir, `pgpw.${process.pid}`);
    writeAtomic(pwfile, pass, 0o600);
    chownSync(pwfile, ids.uid, ids.gid);
    try {
      await runChecked(
        join(postgres.bin, 'initdb'),
        [
          '-D',
          postgres.data,
          '-U',
          'postgres',
          '--auth-local=trust',
          '--auth-host=scram-sha-256',
          `--pwfile=${pwfile}`,
          '-E',
          'UTF8',
          '--locale=C.UTF-8',
        ],
        { user: 'postgres', what: 'initdb' },
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
    appendFileSync(join(postgres.data, 'postgresql.conf'), renderPostgresConf(postgres));
  }
  closeSync(openSync(postgres.log, 'a'));
  chownSync(postgres.log, ids.uid, ids.gid);
  if (!(await serverRunning(config))) {
    log(`postgres: starting on 127.0.0.1:${postgres.port} (log: ${postgres.log})`);
    await runChecked(
      join(postgres.bin, 'pg_ctl'),
      ['-D', postgres.data, '-l', postgres.log, '-w', '-t', '60', 'start'],
      {
        user: 'postgres',
        what: `postgres start (log: ${postgres.log})`,
      },
    );
  }
  // The role and database, (re)created idempotently; the password always matches the file.
  const asSuperuser = ['-h', postgres.dir, '-p', String(postgres.port), '-U', 'postgres', '-X'];
  await runChecked(
    join(postgres.bin, 'psql'),
    [...asSuperuser, '-q', '-v', 'ON_ERROR_STOP=1', '-v', `user=${postgres.user}`, '-v', `password=${pass}`],
    {
      user: 'postgres',
      input: ROLE_SQL,
      what: 'postgres: creating the role',
    },
  );
  const exists = await runChecked(
    join(postgres.bin, 'psql'),
    [...asSuperuser, '-A', '-t', '-c', `select 1 from pg_database where datname = '${postgres.database}'`],
    {
      user: 'postgres',
    },
  );
  if (exists.trim() !== '1') {
    await runChecked(
      join(postgres.bin, 'createdb'),
      [
        '-h',
        postgres.dir,
        '-p',
        String(postgres.port),
        '-U',
        'postgres',
        '-O',
        postgres.user,
        postgres.database,
      ],
      {
        user: 'postgres',
        what: 'postgres: createdb',
      },
    );
  }
  // Self-check: password login over TCP, a transaction that writes and reads back, and no trust on TCP.
  const written = await psql(
    config,
    'begin; create temp table berth_self_check(v int); insert into berth_self_check values (42); select v from berth_self_check; commit;',
  );
  if (written.stdout.trim() !== '42') {
    throw new TestEnvError(
      `postgres: self-check failed (login with the password over 127.0.0.1:${postgres.port})`,
    );
  }
  if ((await psql(config, 'select 1', 'wrong')).code === 0)
    throw new TestEnvError('postgres: self-check failed: a wrong password was accepted');
  log(`postgres: ready on 127.0.0.1:${postgres.port}`);
}

export const postgres: Component = {
  name: 'postgres',
  packages: ['postgresql-15', 'postgresql-client-15'],
  ensure,
  async envSections({ config }) {
    if (!(await ready(config))) return undefined;
    const { port, user, database, data, bin } = config.postgres;
    const host = '127.0.0.1';
    const pass = password(config);
    return {
      postgres: {
        host,
        port,
        user,
        password: pass,
        database,
        dataDir: data,
        pgCtl: join(bin, 'pg_ctl'),
        connectionString: connectionString(user, pass, host, port, database),
      },
    };
  },
  async reset({ config }) {
    if (nonEmpty(join(config.postgres.data, 'PG_VERSION')) && (await serverRunning(config))) {
      log('stopping postgres');
      await run(
        join(config.postgres.bin, 'pg_ctl'),
        ['-D', config.postgres.data, '-m', 'fast', '-w', 'stop'],
        { user: 'postgres' },
      );
    }
  },
};
