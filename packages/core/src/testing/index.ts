/**
 * `@berth/core/testing`: an in-memory cloud (`memoryProvider`), a fake clock, a test context, an
 * in-memory image builder and a spy provider. Plain code with no test framework: it imports from ESM
 * and CommonJS without vitest. The conformance suites are in `@berth/core/conformance`.
 */
export * from './fake-clock.js';
export * from './memory-image-builder.js';
export * from './memory-provider.js';
export type { RevisionBehaviour } from './revision-server.js';
export * from './spy-provider.js';
export * from './test-context.js';
