import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { mapSshError } from './map-ssh-error.js';

const target = 'deploy@example.org:22';

function ssh2Error(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('mapSshError', () => {
  it.each([
    [
      ssh2Error('All configured authentication methods failed', { level: 'client-authentication' }),
      'connect',
      'SSH_AUTH_FAILED',
      false,
    ],
    [
      ssh2Error('Timed out while waiting for handshake', { level: 'client-timeout' }),
      'connect',
      'SSH_UNREACHABLE',
      true,
    ],
    [
      ssh2Error('connect ECONNREFUSED 127.0.0.1:1', { level: 'client-socket', code: 'ECONNREFUSED' }),
      'connect',
      'SSH_UNREACHABLE',
      true,
    ],
    [ssh2Error('getaddrinfo ENOTFOUND nowhere', { code: 'ENOTFOUND' }), 'connect', 'SSH_UNREACHABLE', true],
    [ssh2Error('Not connected', {}), 'exec', 'SSH_UNREACHABLE', true],
    [
      ssh2Error('(SSH) Channel open failure: administratively prohibited', { reason: 1 }),
      'forward',
      'SSH_COMMAND_FAILED',
      false,
    ],
    [ssh2Error('Failure', { code: 4 }), 'sftp', 'SSH_TRANSFER_FAILED', false],
    [ssh2Error('Cannot parse privateKey: Unsupported key format', {}), 'connect', 'SSH_AUTH_FAILED', false],
    [
      ssh2Error('Encrypted private OpenSSH key detected, but no passphrase given', {}),
      'connect',
      'SSH_AUTH_FAILED',
      false,
    ],
  ] as const)('maps %s (%s) to %s', (error, operation, code, retryable) => {
    const mapped = mapSshError(error, target, operation);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.message).toContain(target);
    expect(mapped.cause).toBe(error);
  });

  it('hints at the passphrase for an encrypted key', () => {
    const mapped = mapSshError(
      new Error('Encrypted private OpenSSH key detected, but no passphrase given'),
      target,
      'connect',
    );
    expect(mapped.hint).toMatch(/passphrase/);
  });

  it('hints at sshd_config when forwarding is prohibited', () => {
    const mapped = mapSshError(
      new Error('(SSH) Channel open failure: administratively prohibited'),
      target,
      'forward',
    );
    expect(mapped.hint).toMatch(/AllowStreamLocalForwarding/);
  });

  it('passes BerthErrors through', () => {
    const original = new BerthError('SSH_HOST_KEY_MISMATCH', 'changed');
    expect(mapSshError(original, target, 'connect')).toBe(original);
  });
});
