import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { registryFetch } from './registry-fetch.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A server on 127.0.0.1 answering from `answer`, recording every request. */
async function server(
  answer: (seen: Seen) => { status: number; headers?: Record<string, string>; body?: string },
) {
  const seen: Seen[] = [];
  const http = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(entry);
      const { status, headers = {}, body } = answer(entry);
      response.writeHead(status, headers).end(request.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  servers.push(http);
  const { port } = http.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, seen };
}

describe('registryFetch', () => {
  it('sends the method, headers and body and reads the status, headers and body', async () => {
    const registry = await server(() => ({
      status: 201,
      headers: { 'Docker-Content-Digest': 'sha256:abc', 'content-type': 'application/json' },
      body: '{"ok":true}',
    }));
    const response = await registryFetch(`${registry.base}/v2/app/manifests/v1`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', Authorization: 'Basic eDp5' },
      body: Buffer.from('{"schemaVersion":2}'),
    });
    expect(response.status).toBe(201);
    expect(response.ok).toBe(true);
    expect(response.headers.get('docker-content-digest')).toBe('sha256:abc');
    expect(await response.json()).toEqual({ ok: true });
    expect(registry.seen).toMatchObject([
      {
        method: 'PUT',
        url: '/v2/app/manifests/v1',
        headers: {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          authorization: 'Basic eDp5',
        },
        body: '{"schemaVersion":2}',
      },
    ]);
  });

  it('answers a HEAD with headers only, and a 404 as not ok', async () => {
    const registry = await server(({ url }) =>
      url.endsWith('/v1')
        ? { status: 200, headers: { 'docker-content-digest': 'sha256:1' } }
        : { status: 404 },
    );
    const found = await registryFetch(`${registry.base}/v2/app/manifests/v1`, { method: 'HEAD' });
    expect([found.status, found.headers.get('Docker-Content-Digest')]).toEqual([200, 'sha256:1']);
    const missing = await registryFetch(`${registry.base}/v2/app/manifests/v2`, { method: 'HEAD' });
    expect([missing.status, missing.ok, missing.headers.get('docker-content-digest')]).toEqual([
      404,
      false,
      null,
    ]);
  });

  it('posts a form with its content type, as a token request does', async () => {
    const registry = await server(() => ({ status: 200, body: '{"access_token":"t"}' }));
    const response = await registryFetch(`${registry.base}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', scope: 'repository:app:pull' }),
    });
    expect(await response.json()).toEqual({ access_token: 't' });
    expect(registry.seen[0]).toMatchObject({
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
      body: 'grant_type=refresh_token&scope=repository%3Aapp%3Apull',
    });
  });

  it('follows a redirect, keeping credentials only on the same origin', async () => {
    const elsewhere = await server(() => ({ status: 200, body: 'manifest bytes' }));
    const registry = await server(({ url }) =>
      url === '/moved'
        ? { status: 307, headers: { location: '/v2/app/manifests/v1' } }
        : url === '/v2/app/manifests/v1'
          ? { status: 302, headers: { location: `${elsewhere.base}/blob` } }
          : { status: 404 },
    );
    const response = await registryFetch(`${registry.base}/moved`, {
      headers: { Authorization: 'Bearer tok' },
    });
    expect(Buffer.from(await response.arrayBuffer()).toString('utf8')).toBe('manifest bytes');
    expect(registry.seen.map((request) => [request.url, request.headers.authorization])).toEqual([
      ['/moved', 'Bearer tok'],
      ['/v2/app/manifests/v1', 'Bearer tok'],
    ]);
    expect(elsewhere.seen.map((request) => [request.url, request.headers.authorization])).toEqual([
      ['/blob', undefined],
    ]);
  });

  it('rejects when the registry is unreachable or the signal aborts', async () => {
    const registry = await server(() => ({ status: 200 }));
    const port = Number(new URL(registry.base).port);
    await new Promise((resolve) => servers.splice(0)[0]?.close(resolve));
    await expect(registryFetch(`http://127.0.0.1:${port}/v2/`)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    const slow = createServer(() => {});
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    servers.push(slow);
    const controller = new AbortController();
    const pending = registryFetch(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/v2/`, {
      signal: controller.signal,
    });
    controller.abort(new Error('deploy cancelled'));
    await expect(pending).rejects.toThrow();
    await expect(registryFetch('ftp://127.0.0.1/v2/')).rejects.toThrow(/http: and https:/);
  });
});
