/**
 * `@berth/core/conformance`: the suites every provider (including third-party plugins) and every
 * state store runs, written for vitest (an optional peer dependency: install it to use this entry;
 * `@berth/core/testing` needs no vitest). Call them from an ESM test file, as vitest runs them.
 */
export * from './describe-provider-conformance.js';
export * from './describe-state-store-conformance.js';
