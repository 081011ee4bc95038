import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import {
  type FetchFunction,
  headManifestDigest,
  parseAuthChallenge,
  registryBaseUrl,
} from './registry-digest.js';

const digest = `sha256:${'a'.repeat(64)}`;

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

describe('registryBaseUrl', () => {
  it('uses http only for loopback registries', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBaseUrl('europe-west1-docker.pkg.dev')).toBe('https://europe-west1-docker.pkg.dev');
    expect(registryBaseUrl('docker.io')).toBe('https://registry-1.docker.io');
  });
});

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A fake registry: Basic or Bearer auth, one manifest. */
function fakeRegistry(scheme: 'basic' | 'bearer', options: { omitDigestHeader?: boolean } = {}) {
  const calls: Call[] = [];
  const good = `Basic ${Buffer.from('berth:s3cret-pass').toString('base64')}`;
  const fetch: FetchFunction = async (input, init) => {
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const url = String(input);
    calls.push({
      url,
      method: init?.method ?? 'GET',
      headers,
      ...(init?.body ? { body: String(init.body) } : {}),
    });
    if (url.startsWith('https://auth.example/token')) {
      return headers.Authorization === good
        ? Response.json({ token: 'tok-123' })
        : new Response('denied', { status: 401 });
    }
    const authorized =
      scheme === 'basic' ? headers.Authorization === good : headers.Authorization === 'Bearer tok-123';
    if (!authorized) {
      const challenge =
        scheme === 'basic'
          ? 'Basic realm="Registry Realm"'
          : 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull"';
      return new Response(null, { status: 401, headers: { 'WWW-Authenticate': challenge } });
    }
    if (!url.endsWith('/manifests/v1')) return new Response(null, { status: 404 });
    const manifest = '{"schemaVersion":2}';
    return new Response(init?.method === 'HEAD' ? null : manifest, {
      status: 200,
      headers: options.omitDigestHeader ? {} : { 'Docker-Content-Digest': digest },
    });
  };
  return { fetch, calls };
}

const lookup = {
  registry: '127.0.0.1:5000',
  repository: 'team/app',
  credentials: { username: 'berth', password: 's3cret-pass' },
};

describe('headManifestDigest', () => {
  it('answers a Basic challenge with the credentials and reads Docker-Content-Digest', async () => {
    const registry = fakeRegistry('basic');
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
    const registry = fakeRegistry('bearer');
    expect(await headManifestDigest({ ...lookup, reference: 'v1', fetch: registry.fetch })).toBe(digest);
    const tokenCall = registry.calls.find((call) => call.url.startsWith('https://auth.example/token'));
    const tokenUrl = new URL(tokenCall?.url ?? '');
    expect(tokenUrl.searchParams.get('service')).toBe('registry.example');
    expect(tokenUrl.searchParams.get('scope')).toBe('repository:team/app:pull');
  });

  it('returns undefined for a missing tag', async () => {
    const registry = fakeRegistry('basic');
    expect(await headManifestDigest({ ...lookup, reference: 'nope', fetch: registry.fetch })).toBeUndefined();
  });

  it('hashes the manifest when the registry omits the digest header', async () => {
    const registry = fakeRegistry('basic', { omitDigestHeader: true });
    const expected = `sha256:${createHash('sha256').update('{"schemaVersion":2}').digest('hex')}`;
    expect(await headManifestDigest({ ...lookup, reference: 'v1', fetch: registry.fetch })).toBe(expected);
  });

  it('rejects wrong credentials with REGISTRY_AUTH_FAILED, without the password anywhere', async () => {
    for (const scheme of ['basic', 'bearer'] as const) {
      const registry = fakeRegistry(scheme);
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
    const registry = fakeRegistry('basic');
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
