/** @berth/state-s3: a shared Berth state store on S3 or any S3-compatible endpoint (docs/state.md). */
export { type S3StateStoreOptions, s3StateStore } from './s3-state-store.js';
