/**
 * The tables of `postgresStateStore`, as versioned migrations. Each runs once, in order, in the same
 * transaction as its row in `<schema>.schema_migrations`, under an advisory lock: stores started at
 * the same moment migrate once. A migration is never edited after release; a change is a new one.
 */
export interface PostgresMigration {
  version: number;
  description: string;
  /** SQL statements; `{schema}` is replaced by the quoted schema name. */
  statements: string[];
}

/** The migrations, oldest first. `POSTGRES_SCHEMA_VERSION` is the last one's version. */
export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    description:
      'services (state without history), history (one row per entry), locks (owner, fence, expiry)',
    statements: [
      `CREATE TABLE IF NOT EXISTS {schema}.services (
        service text PRIMARY KEY,
        state text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS {schema}.history (
        service text NOT NULL,
        seq integer NOT NULL,
        entry text NOT NULL,
        PRIMARY KEY (service, seq)
      )`,
      `CREATE TABLE IF NOT EXISTS {schema}.locks (
        service text PRIMARY KEY,
        owner jsonb NOT NULL,
        fence bigint NOT NULL,
        expires_at bigint NOT NULL
      )`,
      'CREATE SEQUENCE IF NOT EXISTS {schema}.fences',
    ],
  },
  {
    version: 2,
    description:
      'history rows carry their entry id, unique per service (the append-only check reads ids only)',
    statements: [
      'ALTER TABLE {schema}.history ADD COLUMN IF NOT EXISTS entry_id text',
      `UPDATE {schema}.history SET entry_id = (entry::json)->>'id' WHERE entry_id IS NULL`,
      'ALTER TABLE {schema}.history ALTER COLUMN entry_id SET NOT NULL',
      'CREATE UNIQUE INDEX IF NOT EXISTS history_service_entry_id ON {schema}.history (service, entry_id)',
    ],
  },
];

/** The database schema version this package writes. */
export const POSTGRES_SCHEMA_VERSION = postgresMigrations.at(-1)!.version;
