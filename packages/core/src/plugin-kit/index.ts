/**
 * `@berth/core/plugin-kit`: the helpers a provider author or a state-store author needs beyond the
 * contract types of `@berth/core` (docs/writing-a-provider.md#packaging). Application code does not
 * need this entry.
 */

// Health: verify a URL the way the engine does (a provider that checks a revision before it shifts traffic).
export { type VerifyHealthOptions, verifyHealth } from '../health/verify-health.js';
// Import cost: Node built-ins loaded on first use, without the ESM facade that loads every export
// (`import { request } from 'node:http'` loads all of undici for `http.WebSocket`).
export {
  nodeChildProcess,
  nodeCrypto,
  nodeFs,
  nodeHttp,
  nodeHttps,
  nodeNet,
  nodeTls,
} from '../ports/node-builtins.js';
// Providers: check a provider object, read its capabilities, read the platform action an error carries.
export { assertProvider, capabilitiesOf, platformActionOf } from '../provider/define-provider.js';
// Cloud providers: lazily built schemas (an SDK or zod loaded on first use) and retries with backoff on the run's clock.
export { type BackoffPolicy, retryWithBackoff } from '../provider-kit/retry-with-backoff.js';
// Registries: the Registry HTTP API v2's auth challenge and base URL, for providers that talk to a registry.
export { type AuthChallenge, parseAuthChallenge, registryBaseUrl } from '../registry/registry-http.js';
// Secrets: keep secret values a provider handles out of its own messages and logs.
export { REDACTED, Redactor } from '../secrets/redactor.js';
export { lazySchema } from '../spec/lazy-schema.js';
// State stores: the lock and history rules every store applies, and state migration.
export { CLAIM_STALE_MS } from '../state/file-lock.js';
export {
  checkHistoryAppend,
  decideTakeover,
  describeOwner,
  type LockRecord,
  lockHeldError,
  lockLostError,
} from '../state/lock-rules.js';
export { migrateState } from '../state/migrate-state.js';
// Files: crash-safe writes for stores and providers that keep files on a local disk.
export { removeOrphanTempFiles, syncFolder, writeFileAtomic } from '../state/write-file-atomic.js';
