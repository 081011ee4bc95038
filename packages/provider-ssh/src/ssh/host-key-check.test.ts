import { describe, expect, it } from 'vitest';
import { type HostKeyFiles, prepareHostKeyCheck } from './host-key-check.js';
import { parseSshOptions } from './ssh-options.js';

// Made with ssh-keygen (the same keys as host-key.test.ts).
const ed1 = 'AAAAC3NzaC1lZDI1NTE5AAAAINjIsg76bx6mB6qUb7S2umfZ3ndyG6Ad83m0eUfrN8Z0';
const rsa =
  'AAAAB3NzaC1yc2EAAAADAQABAAABAQC+fT2D9cwGc1ITOYC5kB1SWwWA+eB+nim0Glutizs72xBOuQwMPjgiN3bjGBccgmliTVqh146CEQ6rKSOtG9dXW6nGHEMo+uVnLDEeRZsk7QwcrlMuka+vV7LxM4LcYP50hlJylNxLq7oMXOjoTrJEvlWvMjhLrF0zpl4jn4I3NO7EeV0zmfe+GDM3s5hpMOkTEjOVdGOK95p0TZ17WjR+AUULEEo00whM6cWINoWwNCMY3I6N5fjw9SuYGym3GqcNHJeNha9S/t9E0sd8nT1QHEX0uvhrAq8OPsQyu+1iK41pzf5h3Ft8iodd2OerULwVRz6oktiTd0MPoeRznpRz';

function memoryFiles(initial: string): HostKeyFiles & { text: () => string } {
  let text = initial;
  return {
    read: async () => text,
    append: async (_path, added) => {
      text += added;
    },
    text: () => text,
  };
}

const tofu = parseSshOptions({
  host: 'vps.example.com',
  username: 'deploy',
  privateKey: 'not read here',
  knownHostsPath: '/tmp/known_hosts',
  trustOnFirstUse: true,
});

describe('trust on first use', () => {
  it('records the key of a host known_hosts does not name, and trusts it', async () => {
    const files = memoryFiles('other.example.com ssh-ed25519 AAAA\n');
    const check = await prepareHostKeyCheck(tofu, files);
    expect((await check.verify(Buffer.from(ed1, 'base64'))).status).toBe('trusted');
    expect(files.text()).toContain(`vps.example.com ssh-ed25519 ${ed1}`);
  });

  it('refuses a new key type from a host known by another type, and records nothing', async () => {
    const files = memoryFiles(`vps.example.com ssh-rsa ${rsa}\n`);
    const check = await prepareHostKeyCheck(tofu, files);
    const verdict = await check.verify(Buffer.from(ed1, 'base64'));
    expect(verdict.status).toBe('unknown');
    const error = check.refusal(verdict);
    expect(error.code).toBe('SSH_HOST_KEY_UNKNOWN');
    expect(error.message).toMatch(/knows this host by ssh-rsa keys only/);
    expect(files.text()).toBe(`vps.example.com ssh-rsa ${rsa}\n`);
  });
});
