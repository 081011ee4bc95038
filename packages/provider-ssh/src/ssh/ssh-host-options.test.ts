import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { parseSshHostOptions } from './ssh-host-options.js';

const ssh = { host: 'vps.example.org', username: 'deploy', privateKeyPath: '/keys/id_ed25519' };

function rejection(input: unknown): BerthError {
  try {
    parseSshHostOptions(input as never);
  } catch (error) {
    if (BerthError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseSshHostOptions', () => {
  it('fills the systemd defaults', () => {
    const parsed = parseSshHostOptions({ method: 'systemd', ssh, start: ['node', 'server.js'] });
    expect(parsed).toMatchObject({
      method: 'systemd',
      baseDir: '/opt/berth',
      lockTtlSeconds: 900,
      keepReleases: 5,
      keepDays: 7,
      restart: 'on-failure',
      ssh: { host: 'vps.example.org', port: 22 },
    });
  });

  it('fills the docker defaults and the host options it shares with localDocker', () => {
    const parsed = parseSshHostOptions({ method: 'docker', ssh, hostPort: 8080 });
    expect(parsed).toMatchObject({
      method: 'docker',
      dockerSocketPath: '/var/run/docker.sock',
      host: { hostPort: 8080, bindAddress: '127.0.0.1', keepRevisions: 5 },
    });
  });

  it('requires a start command for systemd', () => {
    expect(rejection({ method: 'systemd', ssh }).message).toMatch(/options\.start/);
  });

  it('refuses a password in the ssh options', () => {
    const error = rejection({ method: 'docker', ssh: { ...ssh, password: 'hunter2' } });
    expect(error.code).toBe('PROVIDER_OPTIONS_INVALID');
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2');
  });

  it.each([
    [{ method: 'ftp', ssh }, /options\.method/],
    [{ method: 'systemd', ssh, start: 'x', baseDir: 'relative' }, /base folder/],
    [{ method: 'systemd', ssh, start: 'x', baseDir: '/opt/../etc' }, /base folder/],
    [{ method: 'systemd', ssh, start: 'x', user: 'root;reboot' }, /options\.user/],
    [{ method: 'systemd', ssh, start: 'x', baseDir: "/opt/it's" }, /options\.baseDir/],
    [{ method: 'systemd', ssh, start: 'x', baseDir: '/opt/two words' }, /options\.baseDir/],
    [{ method: 'docker', ssh, bindAddress: 'everywhere' }, /bindAddress/],
    [{ method: 'systemd', ssh, start: 'x', unknown: 1 }, /unknown/],
  ])('refuses %j', (input, message) => {
    expect(rejection(input).message).toMatch(message);
  });
});
