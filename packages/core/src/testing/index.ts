/**
 * @berth/core/testing: an in-memory cloud, a fake clock, and the conformance suite every provider
 * (including third-party plugins) runs, and the one every state store runs. Requires vitest for `describeProviderConformance`.
 */
export * from './describe-provider-conformance.js';
export * from './describe-state-store-conformance.js';
export * from './fake-clock.js';
export * from './memory-image-builder.js';
export * from './memory-provider.js';
export type { RevisionBehaviour } from './revision-server.js';
export * from './spy-provider.js';
export * from './test-context.js';
