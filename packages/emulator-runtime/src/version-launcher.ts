import { type ContainerInstance, type ContainerRuntime, ContainerStartError } from './container-runtime.js';
import { httpProbe, tcpProbe } from './probe.js';

/** How a version is made to fail on purpose: its process dies, or its health check fails. */
export type VersionFaultMode = 'crash' | 'health-check';

/** How a version's health is checked, in the platform's terms (times in milliseconds). */
export interface HealthCheck {
  protocol: 'TCP' | 'HTTP';
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** Wait this long after the container starts before the first check. Default 0. */
  initialDelayMs?: number;
}

/** One version to run. */
export interface VersionLaunch {
  service: string;
  image: string;
  containerPort: number;
  env: Record<string, string>;
  command?: string[];
  memoryBytes?: number;
  nanoCpus?: number;
  health: HealthCheck;
}

/** Why a version did not become healthy. */
export class VersionFailure extends Error {
  readonly reason: 'image' | 'crash' | 'health-check';
  constructor(reason: VersionFailure['reason'], message: string) {
    super(message);
    this.name = 'VersionFailure';
    this.reason = reason;
  }
}

/** Where the launcher asks whether a starting version should fail (an emulator's fault controller). */
export interface VersionFaultSource {
  takeVersionFault(service: string): VersionFaultMode | undefined;
}

/** Settings of the launcher. */
export interface VersionLauncherOptions {
  runtime: ContainerRuntime;
  faults: VersionFaultSource;
  /** Env variable that, set to `crash` or `health-check` in a version, makes it fail. */
  faultEnv: string;
  /** Unique prefix of container names. */
  containerPrefix: string;
  /** How long a version may take to pass its health check at all. */
  startupTimeoutMs: number;
  log(line: string): void;
}

/** Starts a version's container and health-checks it the way the platform does. */
export function createVersionLauncher(options: VersionLauncherOptions) {
  let counter = 0;

  async function checkHealth(
    instance: ContainerInstance,
    health: HealthCheck,
    port: number,
    fault?: VersionFaultMode,
  ) {
    const deadline = Date.now() + options.startupTimeoutMs;
    if (health.initialDelayMs) await new Promise((resolve) => setTimeout(resolve, health.initialDelayMs));
    let healthy = 0;
    let unhealthy = 0;
    while (Date.now() < deadline) {
      if (!(await options.runtime.isRunning(instance)))
        throw new VersionFailure('crash', 'The container exited before it passed its health check.');
      const ok =
        fault !== 'health-check' &&
        (health.protocol === 'HTTP'
          ? await httpProbe(instance.host, instance.port, health.path, health.timeoutMs)
          : await tcpProbe(instance.host, instance.port, health.timeoutMs));
      if (ok) {
        healthy += 1;
        unhealthy = 0;
        if (healthy >= health.healthyThreshold && (await options.runtime.isRunning(instance))) return;
      } else {
        unhealthy += 1;
        healthy = 0;
        if (unhealthy >= health.unhealthyThreshold)
          throw new VersionFailure(
            'health-check',
            health.protocol === 'HTTP'
              ? `Health check failed on protocol \`HTTP\`[Path: '${health.path}'], [Port: '${port}'].`
              : `Health check failed on protocol \`TCP\` [Port: '${port}'].`,
          );
      }
      await new Promise((resolve) => setTimeout(resolve, health.intervalMs));
    }
    throw new VersionFailure('health-check', 'The container did not pass its health check in time.');
  }

  return {
    /** Run `launch` until it is healthy; throws `VersionFailure` (and removes the container) if it is not. */
    async start(launch: VersionLaunch): Promise<ContainerInstance> {
      const fromEnv = launch.env[options.faultEnv];
      const fault: VersionFaultMode | undefined =
        options.faults.takeVersionFault(launch.service) ??
        (fromEnv === 'crash' || fromEnv === 'health-check' ? fromEnv : undefined);
      counter += 1;
      let instance: ContainerInstance;
      try {
        instance = await options.runtime.start({
          id: `${options.containerPrefix}-${launch.service.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${counter}`,
          service: launch.service,
          image: launch.image,
          containerPort: launch.containerPort,
          env: launch.env,
          ...(launch.command ? { command: launch.command } : {}),
          ...(launch.memoryBytes ? { memoryBytes: launch.memoryBytes } : {}),
          ...(launch.nanoCpus ? { nanoCpus: launch.nanoCpus } : {}),
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new VersionFailure(
          error instanceof ContainerStartError && error.reason === 'start-failed' ? 'crash' : 'image',
          message,
        );
      }
      try {
        if (fault === 'crash') await options.runtime.kill(instance);
        await checkHealth(instance, launch.health, launch.containerPort, fault);
      } catch (error) {
        await options.runtime
          .stop(instance)
          .catch((stopError: unknown) =>
            options.log(`could not remove ${instance.id}: ${String(stopError)}`),
          );
        throw error;
      }
      return instance;
    },
    /** True while the version's process runs. */
    isRunning(instance: ContainerInstance): Promise<boolean> {
      return options.runtime.isRunning(instance);
    },
    async stop(instance: ContainerInstance | undefined): Promise<void> {
      if (instance)
        await options.runtime
          .stop(instance)
          .catch((error: unknown) => options.log(`could not remove ${instance.id}: ${String(error)}`));
    },
  };
}

export type VersionLauncher = ReturnType<typeof createVersionLauncher>;
export { ContainerStartError };
