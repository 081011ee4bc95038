import { randomBytes } from 'node:crypto';
import { describeProviderConformance, describeStateStoreConformance } from '@berth/core/conformance';
import { memoryProvider } from '@berth/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import { POSTGRES_SCHEMA_VERSION, postgresMigrations } from './migrations.js';
import { postgresStateStore } from './postgres-state-store.js';

const environment = requireTestEnvironment(['postgres']);
const { connectionString } = environment.postgres;
const schema = `berth_test_${randomBytes(4).toString('hex')}`;
const admin = new pg.Pool({ connectionString, max: 2 });
const stores: ReturnType<typeof postgresStateStore>[] = [];
const create = () => {
  const store = postgresStateStore({ connectionString, schema });
  stores.push(store);
  return store;
};

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}_old" CASCADE`);
  await admin.end();
});

describeStateStoreConformance({
  name: 'postgresStateStore',
  create,
  seedRaw: async (service, raw) => {
    await create().migrate();
    const { history, ...rest } = raw as { history: { id: string }[] };
    await admin.query(`INSERT INTO "${schema}".services (service, state) VALUES ($1, $2)`, [
      service,
      JSON.stringify(rest),
    ]);
    for (const [index, entry] of history.entries())
      await admin.query(
        `INSERT INTO "${schema}".history (service, seq, entry_id, entry) VALUES ($1, $2, $3, $4)`,
        [service, index, entry.id, JSON.stringify(entry)],
      );
  },
  dumpRaw: async (service) => {
    const tables = ['services', 'history', 'locks'];
    const dumps = await Promise.all(
      tables.map((name) => admin.query(`SELECT * FROM "${schema}".${name} WHERE service = $1`, [service])),
    );
    return JSON.stringify(dumps.map((result) => result.rows));
  },
});

describeProviderConformance({
  name: 'memoryProvider on postgresStateStore',
  provider: () => memoryProvider(),
  spec: () => ({ name: 'x', image: { ref: 'memory/conformance@sha256:dddd' }, health: { timeoutMs: 5_000 } }),
  state: create,
});

describe('postgresStateStore tables', () => {
  it('migrates a database created at schema version 1 and records every version', async () => {
    const old = `${schema}_old`;
    await admin.query(`CREATE SCHEMA "${old}"`);
    await admin.query(
      `CREATE TABLE "${old}".schema_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    for (const statement of postgresMigrations[0]!.statements)
      await admin.query(statement.replaceAll('{schema}', `"${old}"`));
    await admin.query(`INSERT INTO "${old}".schema_migrations (version, description) VALUES (1, 'v1')`);
    const entry = { id: 'e1', kind: 'deploy', status: 'succeeded', verified: true, phases: [] };
    const state = {
      schemaVersion: 2,
      service: 'app-dev',
      name: 'app',
      environment: 'dev',
      provider: 'memory',
    };
    await admin.query(`INSERT INTO "${old}".services (service, state) VALUES ('app-dev', $1)`, [
      JSON.stringify(state),
    ]);
    await admin.query(`INSERT INTO "${old}".history (service, seq, entry) VALUES ('app-dev', 0, $1)`, [
      JSON.stringify(entry),
    ]);
    const store = postgresStateStore({ connectionString, schema: old });
    stores.push(store);
    // Two stores starting at once migrate once.
    await Promise.all([store.migrate(), postgresStateStore({ connectionString, schema: old }).migrate()]);
    const versions = await admin.query(`SELECT version FROM "${old}".schema_migrations ORDER BY version`);
    expect(versions.rows.map((row) => row.version)).toEqual(
      postgresMigrations.map((migration) => migration.version),
    );
    expect(POSTGRES_SCHEMA_VERSION).toBe(2);
    expect((await store.read('app-dev'))?.history.map((item) => item.id)).toEqual(['e1']);
    const ids = await admin.query(`SELECT entry_id FROM "${old}".history`);
    expect(ids.rows).toEqual([{ entry_id: 'e1' }]);
    await admin.query(`INSERT INTO "${old}".schema_migrations (version, description) VALUES (99, 'future')`);
    await expect(postgresStateStore({ connectionString, schema: old }).read('app-dev')).rejects.toMatchObject(
      {
        code: 'STATE_VERSION_UNSUPPORTED',
      },
    );
  });

  it('rejects a schema name that is not a plain identifier before connecting', () => {
    expect(() => postgresStateStore({ connectionString, schema: 'x"; drop table y; --' })).toThrow(
      /schema name/,
    );
  });
});
