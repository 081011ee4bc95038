import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RevisionInstance, RevisionLaunch, RevisionRuntime } from '../emulator/index.js';

/**
 * A runtime for fast tests that need no Docker: each "container" is an HTTP server in this process
 * that follows the health-service fixture contract (`/.well-known/health`, `/env/NAME`,
 * `BERTH_TEST_FAIL_HEALTH=1`). Integration tests use the Docker runtime instead.
 */
export function inProcessRuntime(): RevisionRuntime & { launches: RevisionLaunch[] } {
  const servers = new Map<string, Server>();
  const launches: RevisionLaunch[] = [];
  return {
    launches,
    async start(launch) {
      launches.push(launch);
      if (launch.image.includes('missing')) throw new Error(`Image '${launch.image}' not found.`);
      const server = createServer((request, response) => {
        const path = (request.url ?? '/').split('?')[0] ?? '/';
        if (path === '/.well-known/health') {
          const failing = launch.env.BERTH_TEST_FAIL_HEALTH === '1';
          response.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({ status: failing ? 'failing' : 'ok', revision: launch.env.K_REVISION }),
          );
          return;
        }
        if (path.startsWith('/env/')) {
          const value = launch.env[decodeURIComponent(path.slice(5))];
          response.writeHead(value === undefined ? 404 : 200, { 'content-type': 'text/plain' });
          response.end(value ?? '');
          return;
        }
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end(`revision ${launch.env.K_REVISION}`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      servers.set(launch.id, server);
      return { id: launch.id, host: '127.0.0.1', port: (server.address() as AddressInfo).port };
    },
    async isRunning(instance: RevisionInstance) {
      return servers.get(instance.id)?.listening ?? false;
    },
    async kill(instance) {
      const server = servers.get(instance.id);
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async stop(instance) {
      const server = servers.get(instance.id);
      servers.delete(instance.id);
      if (server?.listening) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
    async close() {
      for (const id of [...servers.keys()]) await this.stop({ id, host: '127.0.0.1', port: 0 });
    },
  };
}
