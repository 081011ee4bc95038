import Docker from 'dockerode';
import {
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  ContainerStartError,
} from './container-runtime.js';

/** Credentials for a registry the emulator pulls from. */
export interface RegistryLogin {
  username: string;
  password: string;
}

/** Options of the Docker runtime. */
export interface DockerRuntimeOptions {
  /** A dockerode client; default: the local engine (`DOCKER_HOST` or `/var/run/docker.sock`). */
  docker?: Docker;
  /** Registry credentials by host, e.g. `{ '127.0.0.1:5000': { username, password } }`. */
  registryAuth?: Record<string, RegistryLogin>;
  /** Maps the image a service names (an ECR URI) to the reference pulled. Default: unchanged. */
  resolveImage?: (image: string) => string;
  /**
   * `always` (default, as App Runner and Cloud Run do: proves the image is in the registry) or
   * `if-not-present` (an image already in the engine is used as it is).
   */
  pullPolicy?: 'always' | 'if-not-present';
  /** Label put on every container, so leftovers can be found (each emulator passes its own). Default `berth.emulator`. */
  label?: string;
}

function registryOf(image: string): string | undefined {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : undefined;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/**
 * Runs each version as a container on the local Docker engine, pulled from the registry every time
 * (as the platforms do) unless `pullPolicy` says otherwise, its container port published on a free
 * 127.0.0.1 port, so several versions can all listen on the same `PORT`.
 */
export function dockerRuntime(options: DockerRuntimeOptions = {}): ContainerRuntime {
  const docker = options.docker ?? new Docker();
  const label = options.label ?? 'berth.emulator';
  const resolveImage = options.resolveImage ?? ((image: string) => image);
  const started = new Set<string>();

  async function pull(image: string): Promise<void> {
    if (options.pullPolicy === 'if-not-present') {
      try {
        await docker.getImage(image).inspect();
        return;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    const registry = registryOf(image);
    const login = registry ? options.registryAuth?.[registry] : undefined;
    try {
      const stream = await docker.pull(
        image,
        login ? { authconfig: { ...login, serveraddress: registry } } : {},
      );
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/unauthorized|authentication required|denied/i.test(message))
        throw new ContainerStartError('image-unauthorized', `Failed to pull ${image}: access denied.`);
      throw new ContainerStartError('image-not-found', `Failed to pull ${image}: image not found.`);
    }
  }

  async function remove(id: string): Promise<void> {
    // The engine refuses a removal while the container is still being torn down (409): retry.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await docker.getContainer(id).remove({ force: true });
        break;
      } catch (error) {
        if (isNotFound(error)) break;
        if (attempt >= 10) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    started.delete(id);
  }

  return {
    async start(launch: ContainerLaunch): Promise<ContainerInstance> {
      const image = resolveImage(launch.image);
      await pull(image);
      const portKey = `${launch.containerPort}/tcp`;
      const container = await docker.createContainer({
        name: launch.id,
        Image: image,
        Env: Object.entries(launch.env).map(([key, value]) => `${key}=${value}`),
        Labels: {
          [label]: 'true',
          [`${label}.service`]: launch.service,
          ...(launch.revision ? { [`${label}.revision`]: launch.revision } : {}),
        },
        ExposedPorts: { [portKey]: {} },
        ...(launch.entrypoint && launch.entrypoint.length > 0 ? { Entrypoint: launch.entrypoint } : {}),
        ...(launch.command && launch.command.length > 0 ? { Cmd: launch.command } : {}),
        HostConfig: {
          PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
          ...(launch.memoryBytes ? { Memory: launch.memoryBytes } : {}),
          ...(launch.nanoCpus ? { NanoCpus: launch.nanoCpus } : {}),
        },
      });
      started.add(container.id);
      const instance = { id: container.id, host: '127.0.0.1', port: 0 };
      try {
        await container.start();
        const details = await container.inspect();
        // A container that exited at once has no published port: that is a crash, not a port problem.
        if (!details.State.Running)
          throw new ContainerStartError(
            'start-failed',
            `The container exited with code ${details.State.ExitCode} as it started.`,
          );
        const bindings = details.NetworkSettings.Ports?.[portKey] ?? [];
        const port = Number(
          (bindings.find((entry) => entry.HostIp === '127.0.0.1') ?? bindings[0])?.HostPort,
        );
        if (!port)
          throw new ContainerStartError('start-failed', 'The container port could not be published.');
        return { ...instance, port };
      } catch (error) {
        await remove(container.id).catch(() => undefined);
        if (error instanceof ContainerStartError) throw error;
        throw new ContainerStartError('start-failed', error instanceof Error ? error.message : String(error));
      }
    },
    async isRunning(instance) {
      try {
        return (await docker.getContainer(instance.id).inspect()).State.Running;
      } catch {
        return false;
      }
    },
    async kill(instance) {
      await docker
        .getContainer(instance.id)
        .kill()
        .catch(() => undefined);
    },
    async stop(instance) {
      await remove(instance.id);
    },
    async close() {
      const all = [...started];
      started.clear();
      await Promise.all(
        all.map((id) =>
          docker
            .getContainer(id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
    },
  };
}
