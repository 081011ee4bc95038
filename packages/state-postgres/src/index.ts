/** @berth/state-postgres: a shared Berth state store on PostgreSQL (docs/state.md). */
export * from './map-postgres-error.js';
export * from './migrations.js';
export * from './postgres-state-store.js';
