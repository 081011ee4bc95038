/**
 * Importing @berth/provider-ssh loads neither dockerode nor ssh2 (nor @berth/docker's tar-fs), nor
 * the costly Node built-ins (`node:http` with undici, `node:https`, `node:tls`): they load when a
 * provider first needs them. A child process imports the package and lists what it loaded; the
 * controls make the SSH Docker client, which must load dockerode, and import a file that imports
 * `node:http` as ESM, which must load undici.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinsLoadedBy, costlyBuiltins } from '../../../test-support/loaded-builtins.js';
import { loadedPackages } from '../test/loaded-packages-kit.js';

describe('lazy loading', () => {
  it('imports the package without loading dockerode, ssh2 or tar-fs', async () => {
    const { packages } = await loadedPackages('import');
    expect(packages).not.toContain('dockerode');
    expect(packages).not.toContain('docker-modem');
    expect(packages).not.toContain('ssh2');
    expect(packages).not.toContain('tar-fs');
  });

  it('imports the package without loading node:http (nor undici), node:https or node:tls', async () => {
    const loaded = await builtinsLoadedBy(fileURLToPath(new URL('./index.ts', import.meta.url)));
    for (const name of costlyBuiltins) expect(loaded).not.toContain(name);
  });

  it('sees the built-ins an ESM import of node:http loads (the control)', async () => {
    const control = fileURLToPath(
      new URL('../../../test-support/fixtures/esm-node-http.ts', import.meta.url),
    );
    expect(await builtinsLoadedBy(control)).toEqual(
      expect.arrayContaining(['http', 'internal/deps/undici/undici']),
    );
  });

  it('loads dockerode once a Docker client is made (the check sees CommonJS packages)', async () => {
    const { packages } = await loadedPackages('docker-client');
    expect(packages).toContain('dockerode');
  });
});
