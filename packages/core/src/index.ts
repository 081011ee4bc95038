/**
 * @berth/core: the deploy engine, the provider contract and its guarantees.
 * Start with `deploy()` or `createDeployer()`; write providers with `defineProvider()`.
 */
export * from './engine/index.js';
export * from './errors/index.js';
export * from './health/index.js';
export * from './plan/index.js';
export * from './ports/index.js';
export * from './provider/index.js';
export * from './provider-kit/index.js';
export * from './secrets/index.js';
export * from './spec/index.js';
export * from './state/index.js';
