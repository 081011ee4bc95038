import { describe, expect, it } from 'vitest';
import type { AppSpec } from './app-spec.js';
import { createSecretBox } from './secret-envs.js';

const spec = (value: string, type: 'SECRET' | 'GENERAL' = 'SECRET'): AppSpec => ({
  name: 'app',
  envs: [{ key: 'APP_SECRET', value, type }],
  services: [
    {
      name: 'web',
      envs: [{ key: 'API_KEY', value, type }],
      image: {
        registry_type: 'DOCKER_HUB',
        registry: 'me',
        repository: 'r',
        registry_credentials: 'me:token',
      },
    },
  ],
});

describe('the secret box', () => {
  it('encrypts SECRET values and registry credentials, never GENERAL ones', () => {
    const box = createSecretBox();
    const sealed = box.sealSpec(spec('s3cret'));
    const value = sealed.services?.[0]?.envs?.[0]?.value ?? '';
    expect(value).toMatch(/^EV\[1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+\]$/);
    expect(JSON.stringify(sealed)).not.toContain('s3cret');
    expect(JSON.stringify(sealed)).not.toContain('me:token');
    expect(box.decrypt(value)).toBe('s3cret');
    expect(box.decrypt(sealed.envs?.[0]?.value ?? '')).toBe('s3cret');
    expect(box.sealSpec(spec('plain', 'GENERAL')).services?.[0]?.envs?.[0]?.value).toBe('plain');
  });

  it('keeps its own ciphertext, re-encrypts plaintext with a fresh nonce, refuses a foreign ciphertext', () => {
    const box = createSecretBox();
    const first = box.sealSpec(spec('s3cret'));
    const value = first.services?.[0]?.envs?.[0]?.value ?? '';
    expect(box.sealSpec(first).services?.[0]?.envs?.[0]?.value).toBe(value);
    expect(box.sealSpec(spec('s3cret')).services?.[0]?.envs?.[0]?.value).not.toBe(value);
    const other = createSecretBox();
    expect(() => other.sealSpec(first)).toThrow(/envs\[0\]\.value.*decrypt/);
  });
});
