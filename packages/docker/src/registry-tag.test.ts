import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { digestOf, dockerManifestType, fakeRegistry } from './fake-registry.test-support.js';
import type { FetchFunction, RegistryChallenges } from './registry-auth.js';
import { tagManifest } from './registry-tag.js';

const manifest = '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}';
const client = {
  registry: '127.0.0.1:5000',
  repository: 'team/app',
  credentials: { username: 'berth', password: 's3cret-pass' },
};

describe('tagManifest', () => {
  it('puts the exact manifest bytes under the new tag with their media type', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const digest = registry.store('team/app', 'a1b2c3d', manifest);
    await tagManifest({ ...client, digest, tag: 'fp-0123456789abcdef', fetch: registry.fetch });
    expect(registry.tagged('team/app', 'fp-0123456789abcdef')).toBe(digest);
    expect(registry.tagged('team/app', 'a1b2c3d')).toBe(digest);
    const put = registry.calls.find((call) => call.method === 'PUT' && call.headers.Authorization);
    expect(put).toMatchObject({
      url: 'http://127.0.0.1:5000/v2/team/app/manifests/fp-0123456789abcdef',
      body: manifest,
    });
    expect(put?.headers['Content-Type']).toBe(dockerManifestType);
  });

  it('keeps an OCI index an OCI index', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const index = '{"schemaVersion":2,"manifests":[]}';
    const digest = registry.store('team/app', 'multi', index, 'application/vnd.oci.image.index.v1+json');
    await tagManifest({ ...client, digest, tag: 'fp-1', fetch: registry.fetch });
    const put = registry.calls.findLast((call) => call.method === 'PUT');
    expect(put?.headers['Content-Type']).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('asks a Bearer registry for a token that may push', async () => {
    const registry = fakeRegistry({ scheme: 'bearer' });
    const digest = registry.store('team/app', 'a1b2c3d', manifest);
    await tagManifest({ ...client, digest, tag: 'fp-1', fetch: registry.fetch });
    expect(registry.tagged('team/app', 'fp-1')).toBe(digest);
    const scopes = registry.calls
      .filter((call) => call.url.startsWith('https://auth.example/token'))
      .map((call) => new URL(call.url).searchParams.get('scope'));
    expect(scopes).toContain('repository:team/app:pull,push');
  });

  it('sends remembered Basic credentials with both requests', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const digest = registry.store('team/app', 'a1b2c3d', manifest);
    const challenges: RegistryChallenges = new Map([['127.0.0.1:5000', { scheme: 'basic', params: {} }]]);
    await tagManifest({ ...client, digest, tag: 'fp-1', fetch: registry.fetch, challenges });
    expect(registry.calls.map((call) => [call.method, call.headers.Authorization?.split(' ')[0]])).toEqual([
      ['GET', 'Basic'],
      ['PUT', 'Basic'],
    ]);
  });

  it('reports a manifest missing from the repository as IMAGE_PUSH_FAILED with the registry code', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const error = await tagManifest({
      ...client,
      digest: digestOf('never pushed'),
      tag: 'fp-1',
      fetch: registry.fetch,
    }).catch((caught: unknown) => caught);
    expect(BerthError.isInstance(error) && error.code).toBe('IMAGE_PUSH_FAILED');
    expect((error as Error).message).toContain('MANIFEST_UNKNOWN');
    expect(registry.tagged('team/app', 'fp-1')).toBeUndefined();
  });

  it('reports credentials that may read but not push as REGISTRY_AUTH_FAILED, without the password', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const digest = registry.store('team/app', 'a1b2c3d', manifest);
    const readOnly: FetchFunction = async (input, init) =>
      init?.method === 'PUT' && (init.headers as Record<string, string>).Authorization
        ? Response.json({ errors: [{ code: 'DENIED' }] }, { status: 403 })
        : registry.fetch(input, init);
    const error = await tagManifest({ ...client, digest, tag: 'fp-1', fetch: readOnly }).catch(
      (caught: unknown) => caught,
    );
    expect(BerthError.isInstance(error) && error.code).toBe('REGISTRY_AUTH_FAILED');
    expect(JSON.stringify(error)).not.toContain('s3cret-pass');
    expect(registry.tagged('team/app', 'fp-1')).toBeUndefined();
  });

  it('refuses to tag bytes that do not hash to the digest', async () => {
    const registry = fakeRegistry({ scheme: 'basic' });
    const digest = registry.store('team/app', 'a1b2c3d', manifest);
    const tampering: FetchFunction = async (input, init) => {
      const response = await registry.fetch(input, init);
      if (init?.method !== 'GET' || !response.ok) return response;
      return new Response('{"schemaVersion":2,"tampered":true}', { headers: response.headers });
    };
    const error = await tagManifest({ ...client, digest, tag: 'fp-1', fetch: tampering }).catch(
      (caught: unknown) => caught,
    );
    expect(BerthError.isInstance(error) && error.code).toBe('IMAGE_PUSH_FAILED');
    expect(registry.calls.some((call) => call.method === 'PUT')).toBe(false);
  });
});
