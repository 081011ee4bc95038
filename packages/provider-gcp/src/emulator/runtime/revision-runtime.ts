/** What the emulator asks a runtime to run for one revision. */
export interface RevisionLaunch {
  /** Unique per emulator and revision; used to name the container. */
  id: string;
  service: string;
  revision: string;
  image: string;
  /** The container port (Cloud Run's `containerPort`, handed to the app as `PORT`). */
  containerPort: number;
  /** Every variable the container gets, including `PORT`, `K_SERVICE`, `K_REVISION`. */
  env: Record<string, string>;
  command?: string[];
  args?: string[];
  /** Memory limit in bytes, CPU limit in nano-CPUs (both optional). */
  memoryBytes?: number;
  nanoCpus?: number;
}

/** A running revision instance, reachable on loopback. */
export interface RevisionInstance {
  id: string;
  /** `127.0.0.1`. */
  host: string;
  port: number;
}

/** The reason a revision could not start, mapped to Cloud Run's condition reasons by the caller. */
export class RevisionStartError extends Error {
  readonly reason: 'CONTAINER_MISSING' | 'CONTAINER_IMAGE_UNAUTHORIZED' | 'HEALTH_CHECK_CONTAINER_ERROR';
  constructor(reason: RevisionStartError['reason'], message: string) {
    super(message);
    this.name = 'RevisionStartError';
    this.reason = reason;
  }
}

/** Runs revisions as containers. The Docker implementation is the default; tests may inject another. */
export interface RevisionRuntime {
  /** Pull the image and start one instance; resolves once the container runs (not yet probed). */
  start(launch: RevisionLaunch): Promise<RevisionInstance>;
  /** True while the instance's process runs. */
  isRunning(instance: RevisionInstance): Promise<boolean>;
  /** Kill the process but keep the instance record (used to inject crashes). */
  kill(instance: RevisionInstance): Promise<void>;
  stop(instance: RevisionInstance): Promise<void>;
  /** Remove every instance this runtime started. */
  close(): Promise<void>;
}
