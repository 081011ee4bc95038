import { createRequire } from 'node:module';
import { nodeHttp } from '@berth/core/plugin-kit';
import type Dockerode from 'dockerode';

// dockerode loads docker-modem, ssh2, gRPC and protobufjs: ~120 ms (and more on a busy machine) that
// an unchanged redeploy, which only reads, does not need. It is loaded synchronously on first need.
const requireFromHere = createRequire(import.meta.url);

/** The dockerode class, loaded now. */
export function loadDockerode(): typeof Dockerode {
  return requireFromHere('dockerode') as typeof Dockerode;
}

/** Where a lazily created client's address is kept, for messages (reading `modem` would load dockerode). */
export const engineAddress = Symbol.for('berth.docker.engine-address');

/**
 * The Unix socket a client with these options talks to, when the read-only calls can be made without
 * dockerode: only the plain socket (the default, `DOCKER_HOST=unix://…`, or `{ socketPath }` alone).
 */
export function plainSocketPath(
  options: Dockerode.DockerOptions | undefined,
  environment: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (options) {
    const keys = Object.keys(options).filter(
      (key) => (options as Record<string, unknown>)[key] !== undefined,
    );
    return keys.length === 1 && keys[0] === 'socketPath' ? options.socketPath : undefined;
  }
  const host = environment.DOCKER_HOST;
  if (!host) return process.platform === 'win32' ? undefined : '/var/run/docker.sock';
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

const reasons: Record<number, string> = {
  304: 'not modified',
  400: 'bad parameter',
  404: 'not found',
  409: 'conflict',
  500: 'server error',
};

/** One Engine API request over the socket; errors look like dockerode's (`statusCode`, `json`). */
export function engineRequest(socketPath: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const outgoing = nodeHttp().request(
      { socketPath, path, method: 'GET', headers: { Host: 'docker' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = (() => {
            if (!(response.headers['content-type'] ?? '').includes('json')) return undefined;
            try {
              return JSON.parse(text) as unknown;
            } catch {
              return undefined;
            }
          })();
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json ?? text);
          const engineMessage = (json as { message?: string } | undefined)?.message ?? text;
          reject(
            Object.assign(
              new Error(`(HTTP code ${status}) ${reasons[status] ?? 'unexpected'} - ${engineMessage} `),
              { statusCode: status, reason: reasons[status], json: json ?? null },
            ),
          );
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function queryOf(options: Record<string, unknown> | undefined): string {
  const pairs = Object.entries(options ?? {})
    .filter(([, value]) => value !== undefined)
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key)}=${encodeURIComponent(typeof value === 'object' ? JSON.stringify(value) : String(value))}`,
    );
  return pairs.length > 0 ? `?${pairs.join('&')}` : '';
}

/**
 * An object whose listed members are ours and every other member comes from `real()`. It is never a
 * thenable: `await` (or an async function returning it) reads `then`, which must not load dockerode.
 */
function delegating<T extends object>(own: Record<PropertyKey, unknown>, real: () => T): T {
  return new Proxy(own as T, {
    get(_target, key) {
      if (key in own) return own[key];
      if (key === 'then') return undefined;
      const object = real();
      const value = Reflect.get(object, key, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
    has: (_target, key) => key in own || (key !== 'then' && Reflect.has(real(), key)),
  });
}

/**
 * A dockerode client that loads dockerode on first need. On the plain local socket, the calls an
 * unchanged redeploy makes (`ping`, `listContainers`, `getContainer(id).inspect()`,
 * `getImage(name).inspect()`) go straight to the Engine API with `node:http`, with the same results
 * and errors; every other call, and every call on another kind of engine, goes through dockerode.
 */
export function lazyDockerEngine(options?: Dockerode.DockerOptions): Dockerode {
  let real: Dockerode | undefined;
  const full = (): Dockerode => {
    if (!real) {
      const DockerodeClass = loadDockerode();
      real = options ? new DockerodeClass(options) : new DockerodeClass();
    }
    return real;
  };
  const socketPath = plainSocketPath(options);
  if (!socketPath) return delegating({}, full);
  const get = (path: string) => engineRequest(socketPath, path);
  return delegating(
    {
      [engineAddress]: `unix://${socketPath}`,
      ping: () => get('/_ping'),
      listContainers: (listOptions?: Record<string, unknown>) =>
        get(`/containers/json${queryOf(listOptions)}`),
      getContainer: (id: string) =>
        delegating({ id, inspect: () => get(`/containers/${encodeURIComponent(id)}/json`) }, () =>
          full().getContainer(id),
        ),
      getImage: (name: string) =>
        delegating({ name, inspect: () => get(`/images/${name}/json`) }, () => full().getImage(name)),
    },
    full,
  );
}
