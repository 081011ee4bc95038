// Helpers for writing a state store (lock rules, migration, atomic files) are in `@berth/core/plugin-kit`.
export * from './file-state-store.js';
export * from './memory-state-store.js';
export * from './state-store.js';
