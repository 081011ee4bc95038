import { describe, expect, it } from 'vitest';
import { seal, unseal } from './do-target-store.js';
import { loginOf } from './docr-registry.js';

const target = { service: 'hello-dev', name: 'hello', environment: 'dev' };
const key = Buffer.alloc(32, 1).toString('base64');

describe('generated secrets in the vault', () => {
  it('round-trips, and never stores the value in the clear', () => {
    const sealed = seal(key, target, 'API_KEY', 'the-value', 'hmac-sha256:f');
    expect(JSON.stringify(sealed)).not.toContain('the-value');
    expect(unseal(key, target, 'API_KEY', sealed)).toBe('the-value');
  });

  it('refuses another key, or a value moved to another service or key', () => {
    const sealed = seal(key, target, 'API_KEY', 'the-value', 'hmac-sha256:f');
    const other = Buffer.alloc(32, 2).toString('base64');
    expect(() => unseal(other, target, 'API_KEY', sealed)).toThrow(
      expect.objectContaining({ code: 'SECRET_SOURCE_MISSING' }),
    );
    expect(() => unseal(key, { ...target, service: 'other-dev' }, 'API_KEY', sealed)).toThrow();
    expect(() => unseal(key, target, 'OTHER', sealed)).toThrow();
  });
});

describe('loginOf', () => {
  it('reads the login of a Docker config JSON for the push host', () => {
    const auth = Buffer.from('token-user:token-pass').toString('base64');
    expect(
      loginOf({ auths: { 'registry.digitalocean.com': { auth } } }, 'registry.digitalocean.com'),
    ).toEqual({
      username: 'token-user',
      password: 'token-pass',
    });
    expect(loginOf({ auths: { '127.0.0.1:5000': { auth } } }, '127.0.0.1:5000')?.username).toBe('token-user');
    expect(loginOf({}, 'registry.digitalocean.com')).toBeUndefined();
  });
});
