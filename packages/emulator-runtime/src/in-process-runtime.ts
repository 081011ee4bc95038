import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  ContainerStartError,
} from './container-runtime.js';

/**
 * A runtime for wire tests that need no Docker: each "container" is an HTTP server in this process
 * that follows the health-service fixture contract (`/.well-known/health`, `/env/NAME`,
 * `BERTH_TEST_FAIL_HEALTH=1`; the health answer names `K_REVISION` or `BERTH_REVISION`, other paths
 * answer `revision <revision>` or `image <image>`). Lifecycle tests use the Docker runtime instead.
 */
export function inProcessRuntime(): ContainerRuntime & { launches: ContainerLaunch[] } {
  const servers = new Map<string, Server>();
  const launches: ContainerLaunch[] = [];
  return {
    launches,
    async start(launch) {
      launches.push(launch);
      if (launch.image.includes('missing'))
        throw new ContainerStartError('image-not-found', `Failed to pull ${launch.image}: image not found.`);
      const server = createServer((request, response) => {
        const path = (request.url ?? '/').split('?')[0] ?? '/';
        if (path === '/.well-known/health' || path === '/ping') {
          const failing = launch.env.BERTH_TEST_FAIL_HEALTH === '1';
          response.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
          response.end(
            JSON.stringify({
              status: failing ? 'failing' : 'ok',
              revision: launch.env.K_REVISION ?? launch.env.BERTH_REVISION ?? '',
            }),
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
        response.end(launch.revision ? `revision ${launch.revision}` : `image ${launch.image}`);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      servers.set(launch.id, server);
      return { id: launch.id, host: '127.0.0.1', port: (server.address() as AddressInfo).port };
    },
    async isRunning(instance: ContainerInstance) {
      return servers.get(instance.id)?.listening ?? false;
    },
    async kill(instance) {
      const server = servers.get(instance.id);
      if (server?.listening) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
    async stop(instance) {
      await this.kill(instance);
      servers.delete(instance.id);
    },
    async close() {
      for (const id of [...servers.keys()]) await this.stop({ id, host: '127.0.0.1', port: 0 });
    },
  };
}
