/** @berth/state-postgres: a shared Berth state store on PostgreSQL (docs/state.md). */
export {
  type PostgresPool,
  type PostgresStateStoreOptions,
  postgresStateStore,
} from './postgres-state-store.js';
