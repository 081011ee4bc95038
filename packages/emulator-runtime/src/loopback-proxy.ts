import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where one request goes: forwarded to a container, or answered by the proxy itself. */
export type ProxyDecision =
  | { target: { host: string; port: number } }
  | { status: number; body: string; contentType?: string };

/** Options of `openLoopbackProxy`. */
export interface LoopbackProxyOptions {
  /** Port on 127.0.0.1. Default 0: a free one. */
  port?: number;
  /** The answer when the target does not answer (e.g. 502 `Bad Gateway`). Default 503 `Service Unavailable`. */
  unreachable?: { status: number; body: string };
}

/** A loopback port that forwards each request where `decide` says. */
export interface LoopbackProxy {
  port: number;
  close(): Promise<void>;
}

function forward(
  request: IncomingMessage,
  response: ServerResponse,
  target: { host: string; port: number },
  unreachable: { status: number; body: string },
): void {
  const upstream = httpRequest(
    {
      host: target.host,
      port: target.port,
      method: request.method,
      path: request.url,
      headers: {
        ...request.headers,
        'x-forwarded-for': request.socket.remoteAddress ?? '127.0.0.1',
        'x-forwarded-proto': 'http',
      },
    },
    (upstreamResponse) => {
      response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
      upstreamResponse.pipe(response);
    },
  );
  upstream.on('error', () => {
    if (!response.headersSent) {
      response.writeHead(unreachable.status, { 'content-type': 'text/plain' });
      response.end(unreachable.body);
    } else response.destroy();
  });
  request.pipe(upstream);
}

/**
 * Open a proxy on `127.0.0.1` that asks `decide` for every request: a platform's front end (a
 * service URL, a tag URL, a traffic split) in front of the containers of its versions.
 */
export async function openLoopbackProxy(
  decide: (request: IncomingMessage) => ProxyDecision,
  options: LoopbackProxyOptions = {},
): Promise<LoopbackProxy> {
  const unreachable = options.unreachable ?? { status: 503, body: 'Service Unavailable' };
  const server: Server = createServer((request, response) => {
    const decision = decide(request);
    if ('status' in decision) {
      response.writeHead(decision.status, { 'content-type': decision.contentType ?? 'text/plain' });
      response.end(decision.body);
      return;
    }
    forward(request, response, decision.target, unreachable);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
