import { nodeNet } from '@berth/core/plugin-kit';
import type Docker from 'dockerode';
import { demuxDockerLogs } from './docker-logs.js';
import type { ContainerDetails, ContainerSummary, HostTransport, RegistryAuth } from './host-transport.js';
import {
  type DockerOperation,
  isDockerNotFound,
  isDockerNotModified,
  mapDockerError,
} from './map-docker-error.js';

/** Options of `dockerTransport`. */
export interface DockerTransportOptions {
  /** Shown in messages, e.g. `local Docker engine (unix:///var/run/docker.sock)`. */
  description: string;
  /**
   * Whether `address:port` is free on the host. Default: try to listen on it from this process,
   * which is right for the local engine (an SSH transport checks on the remote host instead).
   */
  isPortFree?: (address: string, port: number) => Promise<boolean>;
}

async function call<T>(
  operation: DockerOperation,
  subject: string | undefined,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapDockerError(error, operation, subject);
  }
}

/** Listen on `address:port` for a moment: the answer to "is this host port free here?". */
export function canListen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = nodeNet().createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Exit codes from the engine's newline-separated JSON `die` events. Pure. */
export function parseExitCodes(text: string): number[] {
  const codes: number[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const event = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
      const code = Number(event.Actor?.Attributes?.exitCode);
      if (Number.isInteger(code)) codes.push(code);
    } catch {
      // A partial line carries nothing we need.
    }
  }
  return codes;
}

function authConfig(auth: RegistryAuth | undefined): Docker.AuthConfig | undefined {
  if (!auth) return undefined;
  return 'identityToken' in auth.credentials
    ? { serveraddress: auth.serverAddress, identitytoken: auth.credentials.identityToken }
    : {
        serveraddress: auth.serverAddress,
        username: auth.credentials.username,
        password: auth.credentials.password,
      };
}

function summaryOf(info: Docker.ContainerInfo): ContainerSummary {
  return {
    id: info.Id,
    name: (info.Names[0] ?? info.Id).replace(/^\//, ''),
    labels: info.Labels ?? {},
    state: info.State,
    createdAt: info.Created * 1000,
    ports: (info.Ports ?? [])
      .filter((port) => port.PublicPort !== undefined)
      .map((port) => ({ hostIp: port.IP, hostPort: port.PublicPort, containerPort: port.PrivatePort })),
  };
}

function detailsOf(info: Docker.ContainerInspectInfo): ContainerDetails {
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    labels: info.Config.Labels ?? {},
    imageId: info.Image,
    env: info.Config.Env ?? [],
    status: info.State.Status,
    running: info.State.Running,
    restarting: info.State.Restarting,
    exitCode: info.State.ExitCode,
    oomKilled: info.State.OOMKilled,
    ...(info.State.Error ? { error: info.State.Error } : {}),
    restartCount: info.RestartCount,
    createdAt: info.Created,
    startedAt: info.State.StartedAt,
    finishedAt: info.State.FinishedAt,
  };
}

/**
 * The host transport over a Dockerode client: the local engine, or any engine Dockerode can reach
 * (a remote one through an SSH tunnel), or a function that makes that client on first use. Every
 * engine error is mapped by `mapDockerError`.
 */
export function dockerTransport(
  docker: Docker | (() => Promise<Docker>),
  options: DockerTransportOptions,
): HostTransport {
  // A loader is called on the first operation, so that dockerode loads only when it is used.
  let loading: Promise<Docker> | undefined;
  const engine = (): Promise<Docker> => {
    if (typeof docker !== 'function') return Promise.resolve(docker);
    loading ??= docker();
    return loading;
  };
  const use = <T>(
    operation: DockerOperation,
    subject: string | undefined,
    run: (client: Docker) => Promise<T>,
  ) => call(operation, subject, async () => run(await engine()));
  return {
    description: options.description,
    ping: () => use('ping', undefined, async (docker) => void (await docker.ping())),
    listContainers: (labels) =>
      use('list-containers', undefined, async (docker) => {
        const label = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
        const list = await docker.listContainers({
          all: true,
          ...(label.length > 0 ? { filters: { label } } : {}),
        });
        return list.map(summaryOf);
      }),
    inspectContainer: (nameOrId) =>
      use('inspect-container', nameOrId, async (docker) => {
        try {
          return detailsOf(await docker.getContainer(nameOrId).inspect());
        } catch (error) {
          if (isDockerNotFound(error)) return undefined;
          throw error;
        }
      }),
    createContainer: (body) =>
      use('create-container', body.name, async (docker) => (await docker.createContainer(body)).id),
    startContainer: (id) =>
      use('start-container', id, async (docker) => {
        try {
          await docker.getContainer(id).start();
        } catch (error) {
          if (!isDockerNotModified(error)) throw error;
        }
      }),
    stopContainer: (id, timeoutSeconds) =>
      use('stop-container', id, async (docker) => {
        try {
          await docker.getContainer(id).stop({ t: timeoutSeconds });
        } catch (error) {
          if (!isDockerNotModified(error) && !isDockerNotFound(error)) throw error;
        }
      }),
    removeContainer: (id) =>
      use('remove-container', id, async (docker) => {
        try {
          await docker.getContainer(id).remove({ force: true });
        } catch (error) {
          if (!isDockerNotFound(error)) throw error;
        }
      }),
    containerLogs: (id, tail) =>
      use('container-logs', id, async (docker) => {
        const buffer = await docker
          .getContainer(id)
          .logs({ stdout: true, stderr: true, tail, follow: false });
        return demuxDockerLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
      }),
    containerExitCodes: (id, since) =>
      use('container-events', id, async (docker) => {
        const stream = await docker.getEvents({
          since: Math.floor(since / 1000),
          until: Math.ceil(Date.now() / 1000),
          filters: { container: [id], event: ['die'] },
        });
        let text = '';
        for await (const chunk of stream as AsyncIterable<Buffer | string>) text += chunk.toString();
        return parseExitCodes(text);
      }),
    inspectImage: (ref) =>
      use('inspect-image', ref, async (docker) => {
        try {
          const image = await docker.getImage(ref).inspect();
          return { id: image.Id, repoDigests: image.RepoDigests ?? [] };
        } catch (error) {
          if (isDockerNotFound(error)) return undefined;
          throw error;
        }
      }),
    pullImage: (ref, auth, onProgress) =>
      use('pull-image', ref, async (docker) => {
        const config = authConfig(auth);
        const stream = await docker.pull(ref, config ? { authconfig: config } : {});
        await new Promise<void>((resolve, reject) => {
          let failure: string | undefined;
          docker.modem.followProgress(
            stream,
            (error: unknown) => {
              if (error) reject(error);
              else if (failure) reject(Object.assign(new Error(failure), { json: { message: failure } }));
              else resolve();
            },
            (event: { status?: string; error?: string; id?: string }) => {
              if (event.error) failure = event.error;
              else if (event.status) onProgress(event.id ? `${event.id}: ${event.status}` : event.status);
            },
          );
        });
      }),
    removeImage: (ref) =>
      use('remove-image', ref, async (docker) => {
        try {
          await docker.getImage(ref).remove();
          return true;
        } catch (error) {
          const status = (error as { statusCode?: number }).statusCode;
          if (status === 404 || status === 409) return false;
          throw error;
        }
      }),
    isPortFree: options.isPortFree ?? canListen,
  };
}
