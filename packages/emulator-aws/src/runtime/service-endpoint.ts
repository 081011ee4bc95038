import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContainerInstance } from './container-runtime.js';

/**
 * A service's stable loopback URL: one port for the service's whole life that forwards to the
 * version the platform currently serves, and switches only when the platform would switch.
 */
export interface ServiceEndpoint {
  /** `127.0.0.1:<port>`: the bare host, as App Runner's `ServiceUrl` and ECS's ingress endpoint are. */
  host: string;
  port: number;
  /** Send traffic to `instance` from now on (`undefined`: answer `notServing`). */
  route(instance: ContainerInstance | undefined): void;
  close(): Promise<void>;
}

/** Open an endpoint on a free 127.0.0.1 port; while nothing is routed it answers `notServing`. */
export async function openServiceEndpoint(notServing: {
  status: number;
  body: string;
}): Promise<ServiceEndpoint> {
  let target: ContainerInstance | undefined;
  const server: Server = createServer((request, response) => {
    const current = target;
    if (!current) {
      response.writeHead(notServing.status, { 'content-type': 'text/plain' });
      response.end(notServing.body);
      return;
    }
    const upstream = httpRequest(
      {
        host: current.host,
        port: current.port,
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
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end('Bad Gateway');
      } else response.destroy();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    port,
    route(instance) {
      target = instance;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
