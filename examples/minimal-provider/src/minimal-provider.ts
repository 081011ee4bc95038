/**
 * A minimal third-party Berth provider: a "process host" that runs every revision as its own
 * `node:http` server inside this process, on 127.0.0.1, behind one stable front-door URL per service.
 *
 * It is a teaching example, not a way to host anything: the image reference is recorded but not run;
 * each revision runs the test-service program instead (health path 200, or 500 when env
 * `BERTH_TEST_FAIL_HEALTH=1`; `GET /env/NAME` echoes a variable). It shows the v1 contract's three
 * required methods, `restoreRevision` (restart a kept revision), `probeRevision` (fail verification
 * fast when a revision is not running) and the path for providers without a secret store: the engine
 * passes secret values to `apply` in `SecretBinding.value`, and refuses `generate` secrets, because
 * without a store a generated value could not be read back on the next deploy.
 */
import {
  createServer,
  request as forward,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BerthError,
  type DesiredService,
  defineProvider,
  type ObservedService,
  type Provider,
} from '@berth/core';

/** A revision this host holds. */
interface HostedRevision {
  /** What it runs, with secret values stripped (safe to hand back from `observe`). */
  desired: DesiredService;
  /** The environment the program sees, secret values included. Never leaves this process. */
  env: Record<string, string>;
  /** Set while the revision runs. */
  server?: Server;
  port?: number;
}

interface HostedService {
  front: Server;
  url: string;
  serving?: string;
  /** Every revision since the service was created, kept (stopped) so that it can be restored. */
  revisions: Map<string, HostedRevision>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function stop(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The program every revision runs: the test-service contract of Berth's conformance suite. */
function testProgram(healthPath: string, env: Record<string, string>): Handler {
  return (request, response) => {
    const path = new URL(request.url ?? '/', 'http://revision').pathname;
    const send = (status: number, body: string) => response.writeHead(status).end(body);
    if (path === healthPath) return send(env.BERTH_TEST_FAIL_HEALTH === '1' ? 500 : 200, '{"status":"ok"}');
    const value = path.startsWith('/env/') ? env[decodeURIComponent(path.slice('/env/'.length))] : undefined;
    return value === undefined ? send(404, 'not found') : send(200, value);
  };
}

/** The front door: forwards each request to the revision serving now, so the URL never changes. */
function frontDoor(service: () => HostedService | undefined): Handler {
  return (request, response) => {
    const hosted = service();
    const port = hosted?.serving ? hosted.revisions.get(hosted.serving)?.port : undefined;
    if (port === undefined) return void response.writeHead(503).end('no revision is serving');
    const upstream = forward(
      { host: '127.0.0.1', port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => (response.headersSent ? response.destroy() : response.writeHead(502).end()));
    request.pipe(upstream);
  };
}

/** Create the process host provider. Call `close()` when done: its servers keep the process alive. */
export function minimalProvider(): Provider & { close(): Promise<void> } {
  const services = new Map<string, HostedService>();

  async function hostFor(service: string): Promise<HostedService> {
    const existing = services.get(service);
    if (existing) return existing;
    const { server, port } = await listen(frontDoor(() => services.get(service)));
    const hosted: HostedService = { front: server, url: `http://127.0.0.1:${port}`, revisions: new Map() };
    services.set(service, hosted);
    return hosted;
  }

  /** Start `revision` (unless it runs), send all traffic to it, then stop the one it replaces. */
  async function serve(hosted: HostedService, revision: HostedRevision) {
    if (!revision.server?.listening) {
      const started = await listen(testProgram(revision.desired.healthPath, revision.env));
      Object.assign(revision, started);
    }
    const previous = hosted.serving === revision.desired.revision ? undefined : hosted.serving;
    hosted.serving = revision.desired.revision;
    const replaced = previous ? hosted.revisions.get(previous) : undefined;
    if (replaced) {
      await stop(replaced.server);
      delete replaced.server;
      delete replaced.port;
    }
    return { revision: revision.desired.revision, url: hosted.url };
  }

  /** Stop a service's revisions and front door, and forget it. Returns what was removed. */
  async function remove(service: string): Promise<string[]> {
    const hosted = services.get(service);
    if (!hosted) return [];
    services.delete(service);
    for (const revision of hosted.revisions.values()) await stop(revision.server);
    await stop(hosted.front);
    return [service, ...[...hosted.revisions.keys()].map((id) => `${service}/${id}`)];
  }

  return defineProvider({
    specificationVersion: 'v1',
    name: 'example-process-host',

    async observe(_context, target): Promise<ObservedService | undefined> {
      const hosted = services.get(target.service);
      const serving = hosted?.serving ? hosted.revisions.get(hosted.serving) : undefined;
      if (!hosted || !serving) return undefined;
      const { desired } = serving;
      // Report back every field `apply` was given, or each plan would show a change.
      return {
        service: target.service,
        url: hosted.url,
        revision: desired.revision,
        image: desired.image,
        port: desired.port,
        env: { ...desired.env },
        secrets: Object.fromEntries(
          Object.entries(desired.secrets).map(([key, { fingerprint }]) => [key, { fingerprint }]),
        ),
        resources: desired.resources,
        public: desired.public,
        traffic: [{ revision: desired.revision, percent: 100 }],
        ready: serving.server?.listening === true,
      };
    },

    async apply(_context, desired) {
      const env = { ...desired.env };
      const secrets: DesiredService['secrets'] = {};
      for (const [key, binding] of Object.entries(desired.secrets)) {
        // Without a secret store, the engine hands the value itself; it never reaches state or events.
        if (binding.value === undefined)
          throw new BerthError('SECRET_SOURCE_MISSING', `No value was given for secret ${key}`, {
            hint: `Give ${key} a source (value, fromEnv or fromFile) in the spec.`,
          });
        env[key] = binding.value;
        secrets[key] = { fingerprint: binding.fingerprint };
      }
      const hosted = await hostFor(desired.service);
      const revision: HostedRevision = { desired: { ...desired, secrets }, env };
      hosted.revisions.set(desired.revision, revision);
      return serve(hosted, revision);
    },

    async restoreRevision(_context, target, record) {
      const hosted = services.get(target.service);
      const revision = hosted?.revisions.get(record.revision);
      // Records never hold secret values, so a revision this host no longer holds cannot be rebuilt.
      if (!hosted || !revision)
        throw new BerthError('REVISION_NOT_FOUND', `This host no longer holds revision ${record.revision}`);
      return serve(hosted, revision);
    },

    async probeRevision(_context, target, revision) {
      const hosted = services.get(target.service)?.revisions.get(revision);
      if (!hosted) return { alive: false, reason: `revision ${revision} is unknown` };
      return hosted.server?.listening
        ? { alive: true }
        : { alive: false, reason: `revision ${revision} is stopped` };
    },

    async destroy(_context, target) {
      return { removed: await remove(target.service) };
    },

    async close() {
      for (const service of [...services.keys()]) await remove(service);
    },
  });
}
