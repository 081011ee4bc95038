/** What the emulator asks a runtime to run for one service version. */
export interface ContainerLaunch {
  /** Unique per emulator and version; used to name the container. */
  id: string;
  service: string;
  /** The platform's name of the version (a Cloud Run revision), labelled on the container when set. */
  revision?: string;
  /** The image as the platform was given it (e.g. an ECR URI); the runtime maps it to where it pulls from. */
  image: string;
  containerPort: number;
  /** Every variable the container gets, secrets resolved. */
  env: Record<string, string>;
  /** Replaces the image's `ENTRYPOINT` (Cloud Run's `command`). */
  entrypoint?: string[];
  /** Replaces the image's `CMD` (App Runner's start command, Cloud Run's `args`). */
  command?: string[];
  /** Memory limit in bytes and CPU limit in nano-CPUs. */
  memoryBytes?: number;
  nanoCpus?: number;
}

/** A running container, reachable on loopback. */
export interface ContainerInstance {
  id: string;
  host: string;
  port: number;
}

/**
 * Why a container could not start: the image is missing, the registry refused the pull, or the
 * container did not come up (each emulator maps the reason to its platform's words).
 */
export class ContainerStartError extends Error {
  readonly reason: 'image-not-found' | 'image-unauthorized' | 'start-failed';
  constructor(reason: ContainerStartError['reason'], message: string) {
    super(message);
    this.name = 'ContainerStartError';
    this.reason = reason;
  }
}

/** Runs service versions as containers. The Docker implementation is the default; tests may inject another. */
export interface ContainerRuntime {
  /** Pull the image and start one instance; resolves once the container runs (not yet health-checked). */
  start(launch: ContainerLaunch): Promise<ContainerInstance>;
  /** True while the instance's process runs. */
  isRunning(instance: ContainerInstance): Promise<boolean>;
  /** Kill the process but keep the container (used to inject crashes). */
  kill(instance: ContainerInstance): Promise<void>;
  stop(instance: ContainerInstance): Promise<void>;
  /** Remove every container this runtime started. */
  close(): Promise<void>;
}
