import { createTestContext } from '@berth/core/testing';
import { describe, expect, it } from 'vitest';
import { registryDocuments } from './registry-documents.js';

/** A registry that asks for a Bearer token, as registry.digitalocean.com does, and keeps what it is sent. */
function bearerRegistry() {
  const requests: { method: string; url: string; authorization?: string }[] = [];
  const blobs = new Map<string, string>();
  const manifests = new Map<string, string>();
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    const authorization = (init.headers as Record<string, string> | undefined)?.Authorization;
    requests.push({ method, url: url.toString(), ...(authorization ? { authorization } : {}) });
    if (url.pathname === '/v2/registry/auth') {
      expect(authorization).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
      expect(url.searchParams.get('scope')).toBe('repository:acme/hello-dev:pull,push,delete');
      return Response.json({ token: 'registry-token' });
    }
    if (authorization !== 'Bearer registry-token')
      return new Response('', {
        status: 401,
        headers: {
          'www-authenticate':
            'Bearer realm="https://api.example.test/v2/registry/auth",service="registry.example.test"',
        },
      });
    const path = url.pathname.replace('/v2/acme/hello-dev', '');
    if (method === 'POST' && path === '/blobs/uploads/')
      return new Response(null, {
        status: 202,
        headers: { location: '/v2/acme/hello-dev/blobs/uploads/u1?_state=x' },
      });
    if (method === 'PUT' && path.startsWith('/blobs/uploads/')) {
      blobs.set(url.searchParams.get('digest') ?? '', String(init.body));
      return new Response(null, { status: 201 });
    }
    if (method === 'PUT' && path.startsWith('/manifests/')) {
      manifests.set(path.slice('/manifests/'.length), String(init.body));
      return new Response(null, { status: 201 });
    }
    if (method === 'GET' && path.startsWith('/manifests/')) {
      const manifest = manifests.get(path.slice('/manifests/'.length));
      return manifest ? new Response(manifest, { status: 200 }) : new Response('', { status: 404 });
    }
    if (method === 'GET' && path.startsWith('/blobs/'))
      return new Response(blobs.get(path.slice('/blobs/'.length)) ?? '', { status: 200 });
    return new Response('', { status: 404 });
  };
  return { fetch: fetch as typeof globalThis.fetch, requests };
}

describe('registryDocuments', () => {
  it('answers a Bearer challenge with a token from its realm, and reads back what it wrote', async () => {
    const registry = bearerRegistry();
    const documents = registryDocuments({
      host: 'registry.example.test',
      credentials: async () => ({ username: 'user', password: 'pass' }),
      fetch: registry.fetch,
    });
    const context = createTestContext();
    expect(await documents.read(context, 'acme/hello-dev', 'berth-ledger')).toBeUndefined();
    await documents.write(context, 'acme/hello-dev', 'berth-ledger', { version: 1, revisions: [] });
    expect(await documents.read(context, 'acme/hello-dev', 'berth-ledger')).toEqual({
      version: 1,
      revisions: [],
    });
    // One token exchange, then the token goes with every request.
    expect(registry.requests.filter((request) => request.url.includes('/registry/auth'))).toHaveLength(1);
    expect(registry.requests.filter((request) => request.authorization?.startsWith('Basic'))).toHaveLength(2);
  });
});
