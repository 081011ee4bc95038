import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeDockerEngine } from './docker-engine.js';
import { lazyDockerEngine, plainSocketPath } from './lazy-docker-engine.js';

const servers: { server: Server; dir: string }[] = [];
afterEach(async () => {
  for (const { server, dir } of servers.splice(0)) {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
});

/** A fake engine on a Unix socket, answering from a table of `path → [status, body]`. */
async function fakeEngine(routes: Record<string, [number, unknown]>) {
  const dir = await mkdtemp(join(tmpdir(), 'berth-engine-'));
  const socketPath = join(dir, 'docker.sock');
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const [status, body] = routes[request.url ?? ''] ?? [404, { message: `page not found: ${request.url}` }];
    if (typeof body === 'string') response.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    else response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  servers.push({ server, dir });
  return { socketPath, requests };
}

const dockerodeLoaded = () =>
  Object.keys(createRequire(import.meta.url).cache).some((path) => /[\\/]dockerode[\\/]/.test(path));

describe('lazyDockerEngine', () => {
  it('answers the read-only calls of an unchanged redeploy without loading dockerode', async () => {
    const engine = await fakeEngine({
      '/_ping': [200, 'OK'],
      '/containers/json?all=true&filters=%7B%22label%22%3A%5B%22berth.service%3Dapp-dev%22%5D%7D': [
        200,
        [{ Id: 'c1', Names: ['/berth-app-dev-0001'] }],
      ],
      '/containers/c1/json': [200, { Id: 'c1', State: { Running: true } }],
      '/images/127.0.0.1:5000/berth/app:fp-1/json': [200, { Id: 'sha256:abc' }],
      '/containers/gone/json': [404, { message: 'No such container: gone' }],
    });
    // As `localDocker()` gets it: resolved from an async factory, so `await` reads `then` first.
    const docker = await (async () => lazyDockerEngine({ socketPath: engine.socketPath }))();
    expect(dockerodeLoaded()).toBe(false);
    expect(String(await docker.ping())).toBe('OK');
    expect(await docker.listContainers({ all: true, filters: { label: ['berth.service=app-dev'] } })).toEqual(
      [{ Id: 'c1', Names: ['/berth-app-dev-0001'] }],
    );
    expect(await docker.getContainer('c1').inspect()).toMatchObject({ State: { Running: true } });
    expect(await docker.getImage('127.0.0.1:5000/berth/app:fp-1').inspect()).toEqual({ Id: 'sha256:abc' });
    const missing = await docker
      .getContainer('gone')
      .inspect()
      .catch((error: unknown) => error);
    expect(missing).toMatchObject({ statusCode: 404, json: { message: 'No such container: gone' } });
    expect((missing as Error).message).toBe('(HTTP code 404) not found - No such container: gone ');
    expect(describeDockerEngine(docker)).toBe(`unix://${engine.socketPath}`);
    expect(dockerodeLoaded()).toBe(false);
  });

  it('loads dockerode for every other call, and for engines other than the plain socket', async () => {
    const engine = await fakeEngine({ '/containers/c1/stop?t=1': [204, ''] });
    const docker = lazyDockerEngine({ socketPath: engine.socketPath });
    await docker.getContainer('c1').stop({ t: 1 });
    expect(engine.requests).toContain('POST /containers/c1/stop?t=1');
    expect(dockerodeLoaded()).toBe(true);
    expect(plainSocketPath(undefined, {})).toBe('/var/run/docker.sock');
    expect(plainSocketPath(undefined, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe(
      '/run/user/1000/docker.sock',
    );
    expect(plainSocketPath(undefined, { DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toBeUndefined();
    expect(plainSocketPath(undefined, { DOCKER_HOST: 'ssh://user@host' })).toBeUndefined();
    expect(plainSocketPath({ socketPath: '/s', timeout: 5 })).toBeUndefined();
    expect(plainSocketPath({ host: '127.0.0.1', port: 2375 })).toBeUndefined();
  });
});
