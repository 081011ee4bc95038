/** @berth/state-s3: a shared Berth state store on S3 or any S3-compatible endpoint (docs/state.md). */
export * from './map-s3-error.js';
export * from './s3-state-store.js';
