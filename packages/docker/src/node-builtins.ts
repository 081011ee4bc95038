import { createRequire } from 'node:module';

// Built-in modules with lazy members, loaded through `require` when first used: an ESM `import` of
// them builds a facade that reads every export, which loads WebCrypto, X509 and argon2 for
// `node:crypto`, the stream classes for `node:fs` and all of undici for `node:http` (together
// 30–50 ms of importing, mostly for members Berth never uses). The same three lines as core's
// ports/node-builtins.ts, kept here rather than exported from `@berth/core` as public API.
const requireBuiltin = createRequire(import.meta.url);

/** `node:crypto`. */
export const nodeCrypto = (): typeof import('node:crypto') =>
  requireBuiltin('node:crypto') as typeof import('node:crypto');

/** `node:fs`. */
export const nodeFs = (): typeof import('node:fs') => requireBuiltin('node:fs') as typeof import('node:fs');

/** `node:http`. */
export const nodeHttp = (): typeof import('node:http') =>
  requireBuiltin('node:http') as typeof import('node:http');
