import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { digestOf, fakeRegistry } from './fake-registry.test-support.js';
import type { FetchFunction } from './registry-auth.js';
import { headManifestDigest, registryBaseUrl } from './registry-digest.js';

const manifest = '{"schemaVersion":2}';
const digest = digestOf(manifest);

describe('registryBaseUrl', () => {
  it('uses http only for loopback registries', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBaseUrl('europe-west1-docker.pkg.dev')).toBe('https://europe-west1-docker.pkg.dev');
    expect(registryBaseUrl('docker.io')).toBe('https://registry-1.docker.io');
  });
});

/** A fake registry with one manifest, tagged v1 in team/app. */
function registryWithManifest(scheme: 'basic' | 'bearer', options: { omitDigestHeader?: boolean } = {}) {
  const registry = fakeRegistry({ scheme, ...options });
  registry.store('team/app', 'v1', manifest);
  return registry;
}

const lookup = {
  registry: '127.0.0.1:5000',
  repository: 'team/app',
  credentials: { username: 'berth', password: 's3cret-pass' },
};

describe('headManifestDigest', () => {
  it('answers a Basic challenge with the credentials and reads Docker-Content-Digest', async () => {
    const registry = registryWithManifest('basic');
    expect(await headManifestDigest({ ...lookup, reference: 'v1', fetch: registry.fetch })).toBe(digest);
    expect(registry.calls[0]).toMatchObject({
      url: 'http://127.0.0.1:5000/v2/team/app/manifests/v1',
      method: 'HEAD',
    });
    expect(registry.calls[0]?.headers.Accept).toContain('application/vnd.oci.image.index.v1+json');
    expect(registry.calls[0]?.headers.Accept).toContain(
      'application/vnd.docker.distribution.manifest.v2+json',
    );
  });

  it('fetches a Bearer token from the realm with basic auth, for the challenged scope', async () => {
    const registry = registryWithManifest('bearer');
    expect(await headManifestDigest({ ...lookup, reference: 'v1', fetch: registry.fetch })).toBe(digest);
    const tokenCall = registry.calls.find((call) => call.url.startsWith('https://auth.example/token'));
    const tokenUrl = new URL(tokenCall?.url ?? '');
    expect(tokenUrl.searchParams.get('service')).toBe('registry.example');
    expect(tokenUrl.searchParams.get('scope')).toBe('repository:team/app:pull');
  });

  it('returns undefined for a missing tag', async () => {
    const registry = registryWithManifest('basic');
    expect(await headManifestDigest({ ...lookup, reference: 'nope', fetch: registry.fetch })).toBeUndefined();
  });

  it('hashes the manifest when the registry omits the digest header', async () => {
    const registry = registryWithManifest('basic', { omitDigestHeader: true });
    expect(await headManifestDigest({ ...lookup, reference: 'v1', fetch: registry.fetch })).toBe(digest);
    expect(registry.calls.at(-1)?.method).toBe('GET');
  });

  it('rejects wrong credentials with REGISTRY_AUTH_FAILED, without the password anywhere', async () => {
    for (const scheme of ['basic', 'bearer'] as const) {
      const registry = registryWithManifest(scheme);
      const error = await headManifestDigest({
        ...lookup,
        credentials: { username: 'berth', password: 'wrong-password-123' },
        reference: 'v1',
        fetch: registry.fetch,
      }).catch((caught: unknown) => caught);
      expect(BerthError.isInstance(error) && error.code).toBe('REGISTRY_AUTH_FAILED');
      expect(BerthError.isInstance(error) && error.hint).toMatch(/credentials/);
      expect(JSON.stringify(error)).not.toContain('wrong-password-123');
      expect(String((error as Error).message)).not.toContain('wrong-password-123');
    }
  });

  it('rejects a registry that requires credentials when none are given', async () => {
    const registry = registryWithManifest('basic');
    const error = await headManifestDigest({
      registry: '127.0.0.1:5000',
      repository: 'team/app',
      reference: 'v1',
      fetch: registry.fetch,
    }).catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('REGISTRY_AUTH_FAILED');
  });

  it('reports an unreachable registry as a retryable IMAGE_PUSH_FAILED', async () => {
    const fetch: FetchFunction = () => Promise.reject(new TypeError('fetch failed'));
    const error = await headManifestDigest({ ...lookup, reference: 'v1', fetch }).catch(
      (caught: unknown) => caught,
    );
    expect(BerthError.isInstance(error) && [error.code, error.retryable]).toEqual([
      'IMAGE_PUSH_FAILED',
      true,
    ]);
  });
});
