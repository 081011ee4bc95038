import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where a request to a service or tag URL goes. */
export type ProxyDecision =
  | { target: { host: string; port: number }; revision: string }
  | { status: number; body: string };

/** A loopback port that forwards each request where `decide` says. */
export interface LoopbackProxy {
  port: number;
  close(): Promise<void>;
}

function forward(
  request: IncomingMessage,
  response: ServerResponse,
  target: { host: string; port: number },
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
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('Service Unavailable');
    } else response.destroy();
  });
  request.pipe(upstream);
}

/** Open a proxy on `127.0.0.1` (port 0 picks a free one). */
export async function openLoopbackProxy(
  decide: (request: IncomingMessage) => ProxyDecision,
  port = 0,
): Promise<LoopbackProxy> {
  const server: Server = createServer((request, response) => {
    const decision = decide(request);
    if ('status' in decision) {
      response.writeHead(decision.status, { 'content-type': 'text/html; charset=UTF-8' });
      response.end(decision.body);
      return;
    }
    forward(request, response, decision.target);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
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

/** The pages Google's front end answers when it cannot route to a container. */
export const proxyPages = {
  forbidden: (path: string) =>
    `<html><head><meta http-equiv="content-type" content="text/html;charset=utf-8">\n<title>403 Forbidden</title>\n</head>\n<body text=#000000 bgcolor=#ffffff>\n<h1>Error: Forbidden</h1>\n<h2>Your client does not have permission to get URL <code>${path}</code> from this server.</h2>\n<h2></h2>\n</body></html>\n`,
  notFound: (path: string) =>
    `<html><head><title>404 Page not found</title></head><body><h1>Error: Page not found</h1><h2>The requested URL ${path} was not found on this server.</h2></body></html>\n`,
  unavailable: () => 'Service Unavailable',
};
