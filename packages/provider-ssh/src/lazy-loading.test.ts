/**
 * Importing @berth/provider-ssh loads neither dockerode nor ssh2 (nor @berth/docker's tar-fs):
 * they load when a provider first needs them. A child process imports the package and lists what
 * it loaded; the control makes the SSH Docker client, which must load dockerode.
 */
import { describe, expect, it } from 'vitest';
import { loadedPackages } from '../test/loaded-packages-kit.js';

describe('lazy loading', () => {
  it('imports the package without loading dockerode, ssh2 or tar-fs', async () => {
    const { packages } = await loadedPackages('import');
    expect(packages).not.toContain('dockerode');
    expect(packages).not.toContain('docker-modem');
    expect(packages).not.toContain('ssh2');
    expect(packages).not.toContain('tar-fs');
  });

  it('loads dockerode once a Docker client is made (the check sees CommonJS packages)', async () => {
    const { packages } = await loadedPackages('docker-client');
    expect(packages).toContain('dockerode');
  });
});
