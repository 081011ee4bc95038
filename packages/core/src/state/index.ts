export { CLAIM_STALE_MS } from './file-lock.js';
export * from './file-state-store.js';
export {
  checkHistoryAppend,
  decideTakeover,
  describeOwner,
  type LockRecord,
  lockHeldError,
  lockLostError,
} from './lock-rules.js';
export * from './memory-state-store.js';
export { migrateState } from './migrate-state.js';
export * from './state-store.js';
export { removeOrphanTempFiles, syncFolder } from './write-file-atomic.js';
