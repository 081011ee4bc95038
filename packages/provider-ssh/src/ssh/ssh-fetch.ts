/**
 * A `fetch` whose requests are made from the host, through the SSH connection (`direct-tcpip`
 * forwarding): health checks reach a service that listens on the host's loopback or behind its
 * firewall. Plain HTTP only (the tunnel already is the secure part); redirects are not followed.
 */
import { request } from 'node:http';
import { channelAgent } from './channel-agent.js';
import type { SshConnection } from './ssh-connection.js';

const maxBodyBytes = 4 * 1024 * 1024;
const nullBodyStatuses = new Set([101, 204, 205, 304]);

function headersOf(init: RequestInit | undefined): Record<string, string> {
  return Object.fromEntries(new Headers(init?.headers).entries());
}

/** Options of `sshFetch`. */
export interface SshFetchOptions {
  /**
   * The address the host connects to for a URL's host name (the `Host` header keeps the URL's).
   * `sshHost()` maps its own public host name to the host's loopback, so a health check reaches the
   * service from the server itself. Default: the URL's host name.
   */
  connectTo?: (hostname: string) => string;
}

/** A `fetch` (the subset health checks use) that connects from `connection`'s host. */
export function sshFetch(connection: SshConnection, options: SshFetchOptions = {}): typeof globalThis.fetch {
  const agent = channelAgent((options) =>
    connection.openTcp(String(options.hostname ?? '127.0.0.1'), Number(options.port ?? 80)),
  );
  const fetchThroughSsh = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (url.protocol !== 'http:') {
      return Promise.reject(new TypeError(`sshFetch only speaks http:, not ${url.protocol}`));
    }
    const body = typeof init?.body === 'string' ? init.body : undefined;
    return new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const req = request(
        {
          agent,
          hostname: (options.connectTo ?? ((name: string) => name))(url.hostname.replace(/^\[|\]$/g, '')),
          port: url.port === '' ? 80 : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: init?.method ?? 'GET',
          headers: { host: url.host, ...headersOf(init) },
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBodyBytes) res.destroy(new Error(`response body over ${maxBodyBytes} bytes`));
            else chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const item of [value ?? []].flat()) headers.append(name, item);
            }
            const status = res.statusCode ?? 0;
            resolve(
              new Response(nullBodyStatuses.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: res.statusMessage ?? '',
                headers,
              }),
            );
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  return fetchThroughSsh as typeof globalThis.fetch;
}
