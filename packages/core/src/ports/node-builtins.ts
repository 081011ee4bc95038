import { createRequire } from 'node:module';

// Built-in modules loaded through `require` when first used. An ESM `import { x } from 'node:http'`
// builds a facade that reads every export of the module, and some exports are getters that load a
// lot: `node:http`'s `WebSocket` loads all of undici (~35 ms), `node:crypto`'s `webcrypto` loads
// WebCrypto, X509 and argon2, `node:fs` its stream classes. `node:tls` and `node:https` cost
// 20–30 ms even through `require` (TLS contexts), so a package loads them only on the path that
// speaks TLS. Cheap modules (`node:path`, `node:os`, `node:fs/promises`, `node:module`) are fine as
// ESM imports.
const requireBuiltin = createRequire(import.meta.url);

/** `node:child_process`, loaded on first call (an ESM import of it costs a few ms at import time). */
export const nodeChildProcess = (): typeof import('node:child_process') =>
  requireBuiltin('node:child_process') as typeof import('node:child_process');

/** `node:crypto`, loaded on first call without the ESM facade (which loads WebCrypto, X509, argon2). */
export const nodeCrypto = (): typeof import('node:crypto') =>
  requireBuiltin('node:crypto') as typeof import('node:crypto');

/** `node:fs`, loaded on first call without the ESM facade (which loads the stream classes). */
export const nodeFs = (): typeof import('node:fs') => requireBuiltin('node:fs') as typeof import('node:fs');

/** `node:http`, loaded on first call without the ESM facade (whose `WebSocket` export loads undici). */
export const nodeHttp = (): typeof import('node:http') =>
  requireBuiltin('node:http') as typeof import('node:http');

/** `node:https`, loaded on first call (it loads `node:tls`: 20–30 ms however it is imported). */
export const nodeHttps = (): typeof import('node:https') =>
  requireBuiltin('node:https') as typeof import('node:https');

/** `node:net`, loaded on first call. */
export const nodeNet = (): typeof import('node:net') =>
  requireBuiltin('node:net') as typeof import('node:net');

/** `node:tls`, loaded on first call (20–30 ms however it is imported). */
export const nodeTls = (): typeof import('node:tls') =>
  requireBuiltin('node:tls') as typeof import('node:tls');
