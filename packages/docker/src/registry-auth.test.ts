import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { fakeRegistry } from './fake-registry.test-support.js';
import { parseAuthChallenge, type RegistryChallenges } from './registry-auth.js';
import { headManifestDigest } from './registry-digest.js';

describe('parseAuthChallenge', () => {
  it('parses Basic and Bearer challenges', () => {
    expect(parseAuthChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(
      parseAuthChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/nginx:pull',
      },
    });
  });

  it('accepts unquoted values, spaces and escaped quotes', () => {
    expect(parseAuthChallenge('bearer realm=https://r/token, service = "a \\"b\\""')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://r/token', service: 'a "b"' },
    });
    expect(parseAuthChallenge('')).toBeUndefined();
    expect(parseAuthChallenge(null)).toBeUndefined();
  });
});

const lookup = {
  registry: '127.0.0.1:5000',
  repository: 'team/app',
  reference: 'v1',
  credentials: { username: 'berth', password: 's3cret-pass' },
};

describe('remembered challenges', () => {
  it('sends Basic credentials with the first request once the registry has asked for them', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const digest = registry.store('team/app', 'v1', '{"schemaVersion":2}');
    const challenges: RegistryChallenges = new Map();
    const first = { ...lookup, fetch: registry.fetch, challenges };
    expect(await headManifestDigest(first)).toBe(digest);
    expect(registry.calls.map((call) => call.headers.Authorization !== undefined)).toEqual([false, true]);

    expect(await headManifestDigest({ ...first, repository: 'team/other' })).toBeUndefined();
    expect(await headManifestDigest(first)).toBe(digest);
    expect(registry.calls).toHaveLength(4);
    expect(registry.calls.slice(2).every((call) => call.headers.Authorization?.startsWith('Basic '))).toBe(
      true,
    );
  });

  it('asks without credentials every time when nothing is remembered', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    registry.store('team/app', 'v1', '{"schemaVersion":2}');
    await headManifestDigest({ ...lookup, fetch: registry.fetch });
    await headManifestDigest({ ...lookup, fetch: registry.fetch });
    expect(registry.calls.map((call) => call.headers.Authorization !== undefined)).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it('fails once, without retrying, when remembered Basic credentials are refused', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const challenges: RegistryChallenges = new Map([
      ['127.0.0.1:5000', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ]);
    const error = await headManifestDigest({
      ...lookup,
      credentials: { username: 'berth', password: 'wrong-password-123' },
      fetch: registry.fetch,
      challenges,
    }).catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('REGISTRY_AUTH_FAILED');
    expect(JSON.stringify(error)).not.toContain('wrong-password-123');
    expect(registry.calls).toHaveLength(1);
  });

  it('fetches a Bearer token from the remembered realm before asking the registry', async () => {
    const registry = fakeRegistry({ scheme: 'bearer' });
    const digest = registry.store('team/app', 'v1', '{"schemaVersion":2}');
    const challenges: RegistryChallenges = new Map();
    await headManifestDigest({ ...lookup, fetch: registry.fetch, challenges });
    const before = registry.registryCalls().length;
    expect(await headManifestDigest({ ...lookup, fetch: registry.fetch, challenges })).toBe(digest);
    const later = registry.registryCalls().slice(before);
    expect(later).toHaveLength(1);
    expect(later[0]?.headers.Authorization).toBe('Bearer tok:repository:team/app:pull');
  });
});
