import { homedir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { expandHome, parseSshOptions } from './ssh-options.js';

const valid = { host: 'example.org', username: 'deploy', privateKeyPath: '/home/me/.ssh/id_ed25519' };

function rejection(input: unknown): BerthError {
  try {
    parseSshOptions(input);
  } catch (error) {
    if (BerthError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseSshOptions', () => {
  it('fills in defaults', () => {
    expect(parseSshOptions(valid)).toEqual({
      ...valid,
      port: 22,
      trustOnFirstUse: false,
      connectTimeoutMs: 20_000,
      commandTimeoutMs: 600_000,
      keepaliveIntervalMs: 15_000,
      keepaliveCountMax: 3,
    });
  });

  it('expands ~ in key, known_hosts and agent paths to the home folder', () => {
    const parsed = parseSshOptions({
      ...valid,
      privateKeyPath: '~/.ssh/id_ed25519',
      knownHostsPath: '~/.ssh/known_hosts',
    });
    expect(parsed.privateKeyPath).toBe(join(homedir(), '.ssh/id_ed25519'));
    expect(parsed.knownHostsPath).toBe(join(homedir(), '.ssh/known_hosts'));
    expect(expandHome('~', '/home/me')).toBe('/home/me');
    expect(expandHome('~other/key', '/home/me')).toBe('~other/key');
    expect(expandHome('/etc/key', '/home/me')).toBe('/etc/key');
  });

  it.each(['password', 'pass', 'tryKeyboard'])('refuses a %s, by name, without echoing it', (key) => {
    const error = rejection({ ...valid, [key]: 'hunter2-secret' });
    expect(error.code).toBe('PROVIDER_OPTIONS_INVALID');
    expect(error.message).toMatch(/keys only/);
    expect(error.message).toContain(`ssh.${key}`);
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2-secret');
  });

  it('names every invalid field', () => {
    const error = rejection({ host: '', username: 'u', port: 70000, hostKey: 'MD5:aa:bb' });
    expect(error.code).toBe('PROVIDER_OPTIONS_INVALID');
    const paths = (error.details?.issues as { path: string }[]).map((issue) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['ssh.host', 'ssh.port', 'ssh.hostKey']));
  });

  it('refuses unknown options', () => {
    expect(rejection({ ...valid, strictHostKeyChecking: 'no' }).message).toMatch(/strictHostKeyChecking/);
  });

  it('accepts one pin or several', () => {
    const pin = 'SHA256:p8oC6iL4M0xji4keC6qP2b6ijYcRdjEDlo3x6F/CTpM';
    expect(parseSshOptions({ ...valid, hostKey: pin }).hostKey).toBe(pin);
    expect(parseSshOptions({ ...valid, hostKey: [pin, pin] }).hostKey).toEqual([pin, pin]);
    expect(() => parseSshOptions({ ...valid, hostKey: [] })).toThrow(BerthError);
  });

  it('refuses contradictions: two keys, a passphrase without a key, TOFU with a pin', () => {
    expect(rejection({ ...valid, privateKey: 'KEY' }).message).toMatch(/privateKey/);
    expect(rejection({ host: 'h', username: 'u', passphrase: 'p' }).message).toMatch(/passphrase/);
    expect(
      rejection({
        ...valid,
        trustOnFirstUse: true,
        hostKey: 'SHA256:p8oC6iL4M0xji4keC6qP2b6ijYcRdjEDlo3x6F/CTpM',
      }).message,
    ).toMatch(/trustOnFirstUse/);
  });

  it('never puts key material or a passphrase in the error', () => {
    const error = rejection({
      ...valid,
      privateKey: '-----BEGIN KEY-----',
      passphrase: 'secret-pass',
      port: 0,
    });
    expect(JSON.stringify(error.toJSON())).not.toMatch(/BEGIN KEY|secret-pass/);
  });
});
