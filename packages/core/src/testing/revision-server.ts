import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How a memory revision behaves. */
export interface RevisionBehaviour {
  /** Health path answers 500 when false. */
  healthy: boolean;
  /** Health path answers 503 until this much real time has passed since start. */
  readyAfterMs?: number;
  /** The revision "crashes" (answers nothing, probe reports it dead) this long after it starts. */
  crashAfterMs?: number;
}

/** What a memory revision serves. */
export interface RevisionProgram {
  revision: string;
  healthPath: string;
  /** Environment as the container would see it, secrets included. */
  env: Record<string, string>;
  behaviour: RevisionBehaviour;
  startedAt: number;
}

export function isCrashed(program: RevisionProgram): boolean {
  const crash = program.behaviour.crashAfterMs;
  return crash !== undefined && Date.now() - program.startedAt >= crash;
}

/**
 * The test-service contract (same as the Docker fixture `berth/health-service:test`): the health path
 * answers 200 JSON (500 when unhealthy); `/env/NAME` echoes a variable; `/agents/health` checks
 * `X-API-Key` against `SUPERVAIZER_API_KEY`.
 */
export function serveRevision(
  program: RevisionProgram,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  if (isCrashed(program)) {
    request.socket.destroy();
    return;
  }
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const send = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  // Before the health path, so that a spec whose primary path is `/agents/health` needs the key.
  if (path === '/agents/health') {
    const key = request.headers['x-api-key'];
    if (key && key === program.env.SUPERVAIZER_API_KEY) send(200, { status: 'ok' });
    else send(401, { error: 'bad api key' });
    return;
  }
  if (path === program.healthPath) {
    if (program.behaviour.readyAfterMs && Date.now() - program.startedAt < program.behaviour.readyAfterMs) {
      send(503, { status: 'starting' });
      return;
    }
    if (program.behaviour.healthy) send(200, { status: 'ok', revision: program.revision });
    else send(500, { status: 'failing' });
    return;
  }
  if (path.startsWith('/env/')) {
    const value = program.env[decodeURIComponent(path.slice(5))];
    if (value === undefined) {
      send(404, { error: 'unset' });
      return;
    }
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(value);
    return;
  }
  send(404, { error: 'not found' });
}

/** A real HTTP server on 127.0.0.1 whose handler is chosen per request. */
export async function startLoopbackServer(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(handler);
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
