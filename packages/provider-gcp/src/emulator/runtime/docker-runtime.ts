import Docker from 'dockerode';
import {
  type RevisionInstance,
  type RevisionLaunch,
  type RevisionRuntime,
  RevisionStartError,
} from './revision-runtime.js';

/** Credentials for a registry the emulator pulls revision images from. */
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
  /** `always` (default, like Cloud Run: proves the image is in the registry) or `if-not-present`. */
  pullPolicy?: 'always' | 'if-not-present';
  /** Label put on every container, so leftovers can be found. Default `berth.gcp-emulator`. */
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
 * Runs each revision as a container on the local Docker engine, with its container port published
 * on 127.0.0.1 (a free host port), so several revisions can all listen on the same `PORT`.
 */
export function dockerRuntime(options: DockerRuntimeOptions = {}): RevisionRuntime {
  const docker = options.docker ?? new Docker();
  const label = options.label ?? 'berth.gcp-emulator';
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
        throw new RevisionStartError(
          'CONTAINER_IMAGE_UNAUTHORIZED',
          `Google Cloud Run Service Agent must have permission to read the image, ${image}. Ensure that the provided container image URL is correct and that the above account has permission to access the image.`,
        );
      throw new RevisionStartError('CONTAINER_MISSING', `Image '${image}' not found.`);
    }
  }

  return {
    async start(launch: RevisionLaunch): Promise<RevisionInstance> {
      await pull(launch.image);
      const portKey = `${launch.containerPort}/tcp`;
      const container = await docker.createContainer({
        name: launch.id,
        Image: launch.image,
        Env: Object.entries(launch.env).map(([key, value]) => `${key}=${value}`),
        Labels: {
          [label]: 'true',
          [`${label}.service`]: launch.service,
          [`${label}.revision`]: launch.revision,
        },
        ExposedPorts: { [portKey]: {} },
        ...(launch.command && launch.command.length > 0 ? { Entrypoint: launch.command } : {}),
        ...(launch.args && launch.args.length > 0 ? { Cmd: launch.args } : {}),
        HostConfig: {
          PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
          ...(launch.memoryBytes ? { Memory: launch.memoryBytes } : {}),
          ...(launch.nanoCpus ? { NanoCpus: launch.nanoCpus } : {}),
        },
      });
      started.add(container.id);
      await container.start();
      const details = await container.inspect();
      const binding = details.NetworkSettings.Ports?.[portKey]?.find((entry) => entry.HostIp === '127.0.0.1');
      const port = Number(binding?.HostPort ?? details.NetworkSettings.Ports?.[portKey]?.[0]?.HostPort);
      if (!port)
        throw new RevisionStartError(
          'HEALTH_CHECK_CONTAINER_ERROR',
          'The container port could not be published.',
        );
      return { id: container.id, host: '127.0.0.1', port };
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
      started.delete(instance.id);
      await docker
        .getContainer(instance.id)
        .remove({ force: true })
        .catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
    },
    async close() {
      const ids = [...started];
      started.clear();
      await Promise.all(
        ids.map((id) =>
          docker
            .getContainer(id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
    },
  };
}
