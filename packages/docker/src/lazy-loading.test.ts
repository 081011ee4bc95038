/**
 * Importing @berth/docker loads none of the costly Node built-ins (`node:http` with undici through
 * its ESM facade, `node:https`, `node:tls`): the engine client loads `node:http` on its first
 * request. A child process imports the package and lists the built-ins it loaded (the control of
 * the check is in @berth/provider-ssh's lazy-loading test).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinsLoadedBy, costlyBuiltins } from '../../../test-support/loaded-builtins.js';

describe('lazy loading', () => {
  it('imports the package without loading node:http (nor undici), node:https or node:tls', async () => {
    const loaded = await builtinsLoadedBy(fileURLToPath(new URL('./index.ts', import.meta.url)));
    for (const name of costlyBuiltins) expect(loaded).not.toContain(name);
  });
});
