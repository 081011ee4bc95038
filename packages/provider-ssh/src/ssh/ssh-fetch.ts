/**
 * A `fetch` whose requests are made from the host, through the SSH connection (`direct-tcpip`
 * forwarding): health checks reach a service that listens on the host's loopback or behind its
 * firewall. HTTP, and HTTPS when `tls` says which certificate authorities to trust (the proxy's
 * domains); redirects are not followed.
 */
import type { Agent as HttpsAgent } from 'node:https';
import { nodeHttp, nodeHttps, nodeTls } from '@berth/core/plugin-kit';
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
  /**
   * HTTPS: the certificate authorities to trust (PEM), e.g. the proxy's internal CA root; resolved
   * on the first `https:` request. `undefined` from it: the system's CAs. Never skips verification.
   */
  tls?: { ca: () => Promise<string | undefined> };
}

/** A `fetch` (the subset health checks use) that connects from `connection`'s host. */
export function sshFetch(connection: SshConnection, options: SshFetchOptions = {}): typeof globalThis.fetch {
  const agent = channelAgent((options) =>
    connection.openTcp(String(options.hostname ?? '127.0.0.1'), Number(options.port ?? 80)),
  );
  const connectTo = options.connectTo ?? ((name: string) => name);
  const tlsAgent = options.tls ? tlsChannelAgent(connection, connectTo, options.tls.ca) : undefined;
  const fetchThroughSsh = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const secure = url.protocol === 'https:' && tlsAgent !== undefined;
    if (url.protocol !== 'http:' && !secure) {
      return Promise.reject(
        new TypeError(`sshFetch only speaks http: (and https: with \`tls\`), not ${url.protocol}`),
      );
    }
    const body = typeof init?.body === 'string' ? init.body : undefined;
    return new Promise<Response>((resolve, reject) => {
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason);
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      const req = (secure ? nodeHttps().request : nodeHttp().request)(
        {
          agent: secure ? tlsAgent : agent,
          hostname: secure ? hostname : connectTo(hostname),
          port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
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

/**
 * An agent whose connections are TLS over an SSH channel to `connectTo(hostname)`, checking the
 * certificate against `ca` for the URL's own host name (SNI and verification use the name, the
 * channel goes to the address).
 */
function tlsChannelAgent(
  connection: SshConnection,
  connectTo: (hostname: string) => string,
  ca: () => Promise<string | undefined>,
): HttpsAgent {
  const agent = new (nodeHttps().Agent)({ keepAlive: false });
  // Kept once known: the proxy writes its CA root when it first starts.
  let authorities: string | undefined;
  const load = async () => {
    authorities ??= await ca();
    return authorities;
  };
  const createConnection = (
    target: { hostname?: string | null; host?: string | null; port?: number | string | null },
    callback: (error: Error | null, socket?: unknown) => void,
  ): undefined => {
    const hostname = String(target.hostname ?? target.host ?? 'localhost');
    Promise.all([load(), connection.openTcp(connectTo(hostname), Number(target.port ?? 443))]).then(
      ([pem, channel]) => {
        const socket = nodeTls().connect({
          socket: channel,
          servername: hostname,
          ...(pem ? { ca: pem } : {}),
        });
        let connected = false;
        socket.once('secureConnect', () => {
          connected = true;
          callback(null, socket);
        });
        socket.once('error', (error) => {
          if (!connected) callback(error);
        });
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
    );
    return undefined;
  };
  Object.assign(agent, { createConnection });
  return agent;
}
