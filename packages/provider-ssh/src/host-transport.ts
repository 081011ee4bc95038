/**
 * The host-transport port: every container operation the host provider needs, and nothing else.
 * The local transport is a Dockerode client on the local engine (`docker-transport.ts`); an SSH
 * transport implements the same port through a tunnelled engine. Implementations translate their
 * errors to `BerthError`s (`map-docker-error.ts`), so the provider never sees raw SDK errors.
 */
import type { RegistryCredentials } from '@berth/core';

/** A published port of a container. */
export interface PublishedPort {
  /** Host address the port is bound to (`127.0.0.1`, `0.0.0.0`…). */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

/** A container as listed (cheap: no inspect). */
export interface ContainerSummary {
  id: string;
  /** Name without the leading `/`. */
  name: string;
  labels: Record<string, string>;
  /** `created`, `running`, `exited`, `restarting`… */
  state: string;
  /** Creation time, milliseconds since the epoch. */
  createdAt: number;
  ports: PublishedPort[];
}

/** A container as inspected. */
export interface ContainerDetails {
  id: string;
  /** Name without the leading `/`. */
  name: string;
  labels: Record<string, string>;
  /** The local image ID the container runs (`sha256:…`). */
  imageId: string;
  /** `NAME=value` entries, as the engine reports them (the image's env included). */
  env: string[];
  status: string;
  running: boolean;
  restarting: boolean;
  exitCode: number;
  oomKilled: boolean;
  /** Engine error message, e.g. why the last start failed. */
  error?: string;
  restartCount: number;
  createdAt: string;
  /** ISO time; `0001-01-01T00:00:00Z` when never started. */
  startedAt: string;
  finishedAt: string;
}

/** The body of a container create call (the Engine API's `ContainerCreate` subset Berth uses). */
export interface ContainerCreateBody {
  name: string;
  Image: string;
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts: Record<string, Record<string, never>>;
  /** The command, replacing the image's (the proxy runs `caddy run …`). */
  Cmd?: string[];
  /** `uid:gid` the process runs as (the proxy: the owner of its folder). */
  User?: string;
  HostConfig: {
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    /** `host` for the proxy: it binds service ports on the host and reaches revisions on loopback. */
    NetworkMode?: string;
    /** `host-path:container-path[:ro]` mounts (the proxy's folder). */
    Binds?: string[];
    RestartPolicy: { Name: string; MaximumRetryCount?: number };
    NanoCpus?: number;
    Memory?: number;
  };
}

/** A registry login for pulls. */
export interface RegistryAuth {
  /** Registry host, e.g. `127.0.0.1:5000`. */
  serverAddress: string;
  credentials: RegistryCredentials;
}

/** The port: container operations on one host. */
export interface HostTransport {
  /** For messages: `local Docker engine (unix:///var/run/docker.sock)`. */
  readonly description: string;
  /** Throws `DOCKER_UNAVAILABLE` when the engine cannot be reached. */
  ping(): Promise<void>;
  /** Containers in any state whose labels include all of `labels` (all containers when empty). */
  listContainers(labels: Record<string, string>): Promise<ContainerSummary[]>;
  /** `undefined` when no container has this name or id. */
  inspectContainer(nameOrId: string): Promise<ContainerDetails | undefined>;
  /** Create (not start) a container; returns its id. */
  createContainer(body: ContainerCreateBody): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stop; a container already stopped is not an error. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Remove, stopping it first when running; a missing container is not an error. */
  removeContainer(id: string): Promise<void>;
  /** The last `tail` lines of stdout and stderr, interleaved as written. */
  containerLogs(id: string, tail: number): Promise<string>;
  /**
   * Exit codes of the container's process since `since` (ms since the epoch), oldest first: the
   * engine's `die` events. A restarted container reports exit code 0 in its state, so this is
   * the only record of why it stopped.
   */
  containerExitCodes(id: string, since: number): Promise<number[]>;
  /**
   * `undefined` when the image is not present on the host. `repoDigests`: the `repository@sha256:…`
   * references the engine recorded for the image when it pushed or pulled it.
   */
  inspectImage(ref: string): Promise<{ id: string; repoDigests?: string[] } | undefined>;
  /** Pull an image, reporting layer progress. */
  pullImage(
    ref: string,
    auth: RegistryAuth | undefined,
    onProgress: (message: string) => void,
  ): Promise<void>;
  /** Remove an image; returns false when it was not there or is still used. */
  removeImage(ref: string): Promise<boolean>;
  /** True when nothing on the host listens on `address:port`. */
  isPortFree(address: string, port: number): Promise<boolean>;
  /** Release connections. */
  close?(): Promise<void>;
}
