/**
 * Importing @berth/core (and its plugin kit, which provider packages import) loads none of the
 * costly Node built-ins (`node:http` with undici through its ESM facade, `node:https`,
 * `node:tls`): they load on first use through `ports/node-builtins.ts`. A child process imports the
 * entry and lists the built-ins it loaded (the control of the check is in @berth/provider-ssh's
 * lazy-loading test).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinsLoadedBy, costlyBuiltins } from '../../../test-support/loaded-builtins.js';

describe('lazy loading', () => {
  it.each(['./index.ts', './plugin-kit/index.ts'])('importing %s loads no costly built-in', async (entry) => {
    const loaded = await builtinsLoadedBy(fileURLToPath(new URL(entry, import.meta.url)));
    for (const name of costlyBuiltins) expect(loaded).not.toContain(name);
  });

  it('loads a built-in on first use', async () => {
    const { nodeHttp } = await import('./plugin-kit/index.js');
    expect(typeof nodeHttp().request).toBe('function');
  });
});
