import {
  type HistoryEntry,
  type LockOptions,
  type LockOwner,
  type ServiceState,
  StateError,
  type StateLock,
  type StateStore,
  type WriteOptions,
} from '@berth/core';
import { checkHistoryAppend, decideTakeover, lockLostError, migrateState } from '@berth/core/plugin-kit';
import pg from 'pg';
import { isTransientPostgresError, mapPostgresError } from './map-postgres-error.js';
import { POSTGRES_SCHEMA_VERSION, postgresMigrations } from './migrations.js';

/** What the store needs of a `pg.Pool` (a `pg.Pool` itself, or a wrapper around one). */
export interface PostgresPool {
  connect(): Promise<pg.PoolClient>;
  query: pg.Pool['query'];
  end?(): Promise<void>;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** Options of `postgresStateStore`: `connectionString` or `pool`. */
export interface PostgresStateStoreOptions {
  /** `postgres://user:password@host:5432/database`; the store then owns its pool (`close()` ends it). */
  connectionString?: string;
  /** A pool you manage (e.g. shared with your app); `close()` leaves it open. */
  pool?: PostgresPool;
  /** The schema holding Berth's tables, created when missing. Default `berth`. */
  schema?: string;
  /** Attempts of a read or write when the server is briefly unreachable (restart, failover). Default 5. */
  attempts?: number;
  /** Wait before retry n (1-based). Default 250 ms × 2^(n-1), at most 4 s. */
  retryDelayMs?: (attempt: number) => number;
  /** Injected for tests: sleep between retries. */
  sleep?: (ms: number) => Promise<void>;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * State in PostgreSQL: one row per service (`services`), its history one row per entry (`history`,
 * only ever inserted into), and one lock row per service (`locks`) with its owner, expiry and a
 * fencing token from a sequence. Every write checks the fence in the same transaction (`SELECT … FOR
 * UPDATE` on the lock row), so a run that lost its lock cannot write. Tables are created and
 * migrated on first use (migrations.ts). Transient connection errors are retried; every write is one
 * transaction, so a retry never half-applies. docs/state.md.
 */
export function postgresStateStore(options: PostgresStateStoreOptions): StateStore & {
  /** End the pool when the store created it. */
  close(): Promise<void>;
  /** Create or migrate the tables now (otherwise done on first use). */
  migrate(): Promise<void>;
  readonly schema: string;
} {
  const schema = options.schema ?? 'berth';
  if (!identifier.test(schema))
    throw new StateError('STATE_CORRUPT', `Invalid PostgreSQL schema name for the state store: ${schema}`, {
      hint: 'Use lower-case letters, digits and underscores, starting with a letter (at most 63).',
    });
  if (!options.pool && !options.connectionString)
    throw new StateError('STATE_STORE_UNAVAILABLE', 'postgresStateStore needs `connectionString` or `pool`', {
      hint: 'Pass `connectionString: process.env.DATABASE_URL` or a `pg.Pool`.',
    });
  const ownsPool = !options.pool;
  const pool: PostgresPool =
    options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: 4 });
  // An idle client that loses its server (restart) emits `error` on the pool: without a listener it
  // would crash the process. The next query gets a fresh connection.
  if (ownsPool) pool.on?.('error', () => {});
  const attempts = options.attempts ?? 5;
  const retryDelay = options.retryDelayMs ?? ((attempt: number) => Math.min(4_000, 250 * 2 ** (attempt - 1)));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const table = (name: string) => `"${schema}".${name}`;
  let migrated: Promise<void> | undefined;

  async function withRetry<T>(what: string, task: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await task();
      } catch (error) {
        if (attempt >= attempts || !isTransientPostgresError(error)) throw mapPostgresError(error, what);
        await sleep(retryDelay(attempt));
      }
    }
  }

  async function transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = isTransientPostgresError(error);
      if (!broken) await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  async function runMigrations(): Promise<void> {
    await withRetry('migrating the tables', () =>
      transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `berth-state-migrations:${schema}`,
        ]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${table('schema_migrations')} (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const applied = await client.query<{ version: number }>(
          `SELECT version FROM ${table('schema_migrations')}`,
        );
        const versions = new Set(applied.rows.map((row) => row.version));
        const newest = Math.max(0, ...versions);
        if (newest > POSTGRES_SCHEMA_VERSION)
          throw new StateError(
            'STATE_VERSION_UNSUPPORTED',
            `The PostgreSQL state schema "${schema}" is at version ${newest}; this @berth/state-postgres knows up to ${POSTGRES_SCHEMA_VERSION}`,
            { hint: 'Upgrade @berth/state-postgres on this machine to the version the others use.' },
          );
        for (const migration of postgresMigrations) {
          if (versions.has(migration.version)) continue;
          for (const statement of migration.statements)
            await client.query(statement.replaceAll('{schema}', `"${schema}"`));
          await client.query(
            `INSERT INTO ${table('schema_migrations')} (version, description) VALUES ($1, $2)`,
            [migration.version, migration.description],
          );
        }
      }),
    );
  }

  const ready = () => {
    migrated ??= runMigrations().catch((error: unknown) => {
      migrated = undefined;
      throw error;
    });
    return migrated;
  };

  async function currentHolder(service: string): Promise<LockOwner | undefined> {
    const result = await pool
      .query<{ owner: LockOwner }>(`SELECT owner FROM ${table('locks')} WHERE service = $1`, [service])
      .catch(() => undefined);
    return result?.rows[0]?.owner;
  }

  let closed = false;
  return {
    schema,
    migrate: ready,
    async close() {
      // Idempotent: a second close (a test harness and its owner both closing) is a no-op.
      if (!ownsPool || closed) return;
      closed = true;
      await pool.end?.();
    },

    async read(service) {
      await ready();
      const result = await withRetry('reading the state', () =>
        // One statement: one snapshot of the state and its history.
        pool.query<{ state: string; history: HistoryEntry[] }>(
          `SELECT s.state,
             coalesce((SELECT json_agg(h.entry::json ORDER BY h.seq) FROM ${table('history')} h WHERE h.service = s.service), '[]'::json) AS history
           FROM ${table('services')} s WHERE s.service = $1`,
          [service],
        ),
      );
      const row = result.rows[0];
      if (!row) return undefined;
      let state: Record<string, unknown>;
      try {
        state = JSON.parse(row.state) as Record<string, unknown>;
      } catch (error) {
        throw new StateError('STATE_CORRUPT', `The state row of ${service} is not valid JSON`, {
          cause: error,
        });
      }
      return migrateState({ ...state, history: row.history }, `postgres:${schema}.services/${service}`);
    },

    async write(service, state: ServiceState, writeOptions: WriteOptions = {}) {
      await ready();
      const { history, ...rest } = state;
      await withRetry('writing the state', () =>
        transaction(async (client) => {
          // Writers of one service go one at a time; the fence check holds the lock row until commit.
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
            `berth-state:${schema}:${service}`,
          ]);
          if (writeOptions.fence !== undefined) {
            const lock = await client.query<{ fence: string; owner: LockOwner }>(
              `SELECT fence::text AS fence, owner FROM ${table('locks')} WHERE service = $1 FOR UPDATE`,
              [service],
            );
            if (lock.rows[0]?.fence !== writeOptions.fence) throw lockLostError(service, lock.rows[0]?.owner);
          }
          const stored = await client.query<{ id: string }>(
            `SELECT entry_id AS id FROM ${table('history')} WHERE service = $1 ORDER BY seq`,
            [service],
          );
          checkHistoryAppend(service, stored.rows, history);
          for (let index = stored.rows.length; index < history.length; index += 1)
            await client.query(
              `INSERT INTO ${table('history')} (service, seq, entry_id, entry) VALUES ($1, $2, $3, $4)`,
              [service, index, history[index]!.id, JSON.stringify(history[index])],
            );
          await client.query(
            `INSERT INTO ${table('services')} (service, state) VALUES ($1, $2)
             ON CONFLICT (service) DO UPDATE SET state = excluded.state, updated_at = now()`,
            [service, JSON.stringify(rest)],
          );
        }),
      );
    },

    async remove(service) {
      await ready();
      await withRetry('removing the state', () =>
        transaction(async (client) => {
          await client.query(`DELETE FROM ${table('history')} WHERE service = $1`, [service]);
          await client.query(`DELETE FROM ${table('services')} WHERE service = $1`, [service]);
        }),
      );
    },

    async lock(service, lockOptions: LockOptions): Promise<StateLock> {
      await ready();
      const expiresAt = lockOptions.now + lockOptions.ttlMs;
      const taken = await withRetry('taking the lock', async () => {
        for (;;) {
          const outcome = await transaction(async (client) => {
            const existing = await client.query<{ owner: LockOwner; fence: string; expires_at: string }>(
              `SELECT owner, fence::text AS fence, expires_at::text AS expires_at FROM ${table('locks')} WHERE service = $1 FOR UPDATE`,
              [service],
            );
            const row = existing.rows[0];
            if (!row) {
              const inserted = await client.query<{ fence: string }>(
                `INSERT INTO ${table('locks')} (service, owner, fence, expires_at)
                 VALUES ($1, $2, nextval('"${schema}".fences'), $3)
                 ON CONFLICT (service) DO NOTHING RETURNING fence::text AS fence`,
                [service, JSON.stringify(lockOptions.owner), expiresAt],
              );
              // Another run inserted it first: look again (it is now held, or already released).
              return inserted.rows[0] ? { fence: inserted.rows[0].fence } : undefined;
            }
            const takeover = decideTakeover(
              service,
              { owner: row.owner, token: row.fence, expiresAt: Number(row.expires_at) },
              lockOptions,
            );
            const updated = await client.query<{ fence: string }>(
              `UPDATE ${table('locks')} SET owner = $2, fence = nextval('"${schema}".fences'), expires_at = $3
               WHERE service = $1 RETURNING fence::text AS fence`,
              [service, JSON.stringify(lockOptions.owner), expiresAt],
            );
            return { fence: updated.rows[0]!.fence, takeover };
          });
          if (outcome) return outcome;
        }
      });
      let released = false;
      let queue: Promise<unknown> = Promise.resolve();
      const serial = <T>(task: () => Promise<T>): Promise<T> => {
        const next = queue.then(task, task);
        queue = next.catch(() => {});
        return next;
      };
      return {
        owner: lockOptions.owner,
        fence: taken.fence,
        ...(taken.takeover ? { takeover: taken.takeover } : {}),
        renew: (now: number) =>
          serial(async () => {
            if (released) return;
            const result = await withRetry('renewing the lock', () =>
              pool.query(`UPDATE ${table('locks')} SET expires_at = $3 WHERE service = $1 AND fence = $2`, [
                service,
                taken.fence,
                now + lockOptions.ttlMs,
              ]),
            );
            if (result.rowCount === 0) throw lockLostError(service, await currentHolder(service));
          }),
        release: () =>
          serial(async () => {
            if (released) return;
            released = true;
            await withRetry('releasing the lock', () =>
              pool.query(`DELETE FROM ${table('locks')} WHERE service = $1 AND fence = $2`, [
                service,
                taken.fence,
              ]),
            );
          }),
      };
    },
  };
}
