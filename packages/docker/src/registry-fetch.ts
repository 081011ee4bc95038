/**
 * The registry client's default `fetch`: the part of `fetch` that Registry HTTP API v2 calls use
 * (a method, headers, a `Buffer` or form body and a signal; the status, headers and body of the
 * answer) over `node:http` and `node:https`. The global `fetch` and its `Response` load all of
 * undici on first use: about 40 ms of a cold `node deploy.ts` whose only registry calls are a
 * manifest HEAD or two. Redirects are followed (at most 5), as `fetch` does, and `Authorization`
 * is dropped when one leads to another origin. Answers are read whole (manifests and tokens are
 * small; more than 16 MiB is refused).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { nodeHttp, nodeHttps } from '@berth/core/plugin-kit';

/** What a registry request sends. */
export interface RegistryRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | URLSearchParams;
  signal?: AbortSignal | null;
}

/** What the registry client reads of an answer: a subset of `Response`, which satisfies it. */
export interface RegistryResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
  json(): Promise<unknown>;
  readonly body: { cancel(): Promise<void> } | null;
}

/** The `fetch` the registry client calls; the global `fetch` is one. */
export type RegistryFetch = (url: string | URL, init?: RegistryRequestInit) => Promise<RegistryResponse>;

const maxBodyBytes = 16 * 1024 * 1024;
const maxRedirects = 5;
const redirectStatuses = new Set([301, 302, 303, 307, 308]);

interface Answer {
  response: RegistryResponse;
  location: string | undefined;
}

/** A `RegistryFetch` over `node:http`/`node:https` (see the top of this file). */
export const registryFetch: RegistryFetch = (url, init = {}) => follow(new URL(url), init, 0);

async function follow(url: URL, init: RegistryRequestInit, hops: number): Promise<RegistryResponse> {
  const { response, location } = await exchange(url, init);
  if (!redirectStatuses.has(response.status) || location === undefined || hops >= maxRedirects)
    return response;
  const next = new URL(location, url);
  const method = init.method ?? 'GET';
  // As `fetch`: a 303 (but after GET or HEAD) and a 301/302 after a POST continue as a GET without the body.
  const toGet =
    (response.status === 303 && method !== 'GET' && method !== 'HEAD') ||
    ((response.status === 301 || response.status === 302) && method === 'POST');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' && next.origin !== url.origin) continue;
    if (toGet && lower === 'content-type') continue;
    headers[name] = value;
  }
  const signal = init.signal ? { signal: init.signal } : {};
  const body = !toGet && init.body ? { body: init.body } : {};
  return follow(next, { method: toGet ? 'GET' : method, headers, ...signal, ...body }, hops + 1);
}

function exchange(url: URL, init: RegistryRequestInit): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const client =
      url.protocol === 'https:' ? nodeHttps() : url.protocol === 'http:' ? nodeHttp() : undefined;
    if (!client) return reject(new TypeError(`registryFetch speaks http: and https:, not ${url.protocol}`));
    const form = init.body instanceof URLSearchParams;
    const body = init.body instanceof URLSearchParams ? Buffer.from(init.body.toString()) : init.body;
    const headers: Record<string, string> = { 'user-agent': 'berth', ...init.headers };
    if (form && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    if (body) headers['content-length'] = String(body.length);
    const request = client.request(
      url,
      { method: init.method ?? 'GET', headers, ...(init.signal ? { signal: init.signal } : {}) },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) incoming.destroy(new Error(`response body over ${maxBodyBytes} bytes`));
          else chunks.push(chunk);
        });
        incoming.on('error', reject);
        incoming.on('end', () =>
          resolve({
            response: responseOf(incoming.statusCode ?? 0, incoming.headers, Buffer.concat(chunks)),
            location: headerOf(incoming.headers, 'location') ?? undefined,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function headerOf(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function responseOf(status: number, headers: IncomingHttpHeaders, body: Buffer): RegistryResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: { get: (name) => headerOf(headers, name) },
    arrayBuffer: async () =>
      body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer,
    json: async () => JSON.parse(body.toString('utf8')) as unknown,
    body: { cancel: async () => {} },
  };
}
