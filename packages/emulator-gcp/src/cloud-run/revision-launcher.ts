import {
  type ContainerInstance,
  type ContainerRuntime,
  ContainerStartError,
  httpProbe,
  tcpProbe,
} from '@berth/emulator-runtime';
import type { FaultController, RevisionFaultMode } from '../faults.js';
import type { JsonObject } from '../rpc/rpc-error.js';
import type { SecretStore } from '../secret-manager/secret-store.js';
import { containerPortOf, type RevisionState, type ServiceState } from './service-state.js';
import { cpuCores, memoryBytes } from './validate-service.js';

/** Why a revision did not become ready, as Cloud Run reports it in the revision's conditions. */
export class RevisionFailure extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'RevisionFailure';
    this.reason = reason;
  }
}

/** A container that did not start, in Cloud Run's words (the reasons and messages Cloud Run reports). */
function startError(error: unknown, image: string, port: number): RevisionFailure {
  const reason = error instanceof ContainerStartError ? error.reason : 'image-not-found';
  if (reason === 'image-unauthorized')
    return new RevisionFailure(
      'CONTAINER_IMAGE_UNAUTHORIZED',
      `Google Cloud Run Service Agent must have permission to read the image, ${image}. Ensure that the provided container image URL is correct and that the above account has permission to access the image.`,
    );
  if (reason === 'start-failed') return startupFailure(port);
  return new RevisionFailure('CONTAINER_MISSING', `Image '${image}' not found.`);
}

/** Settings of the launcher. */
export interface LauncherOptions {
  runtime: ContainerRuntime;
  faults: FaultController;
  secrets: SecretStore;
  projectNumber(project: string): string;
  /** How long a revision may take to pass its startup probe. */
  startupTimeoutMs: number;
  /** Env variable whose value (`crash` or `startup-probe`) makes a revision fail on purpose. */
  faultEnv: string;
  /** Unique prefix of container names. */
  containerPrefix: string;
}

function startupFailure(port: number): RevisionFailure {
  return new RevisionFailure(
    'HEALTH_CHECK_CONTAINER_ERROR',
    `The user-provided container failed to start and listen on the port defined provided by the PORT=${port} environment variable within the allocated timeout. This can happen when the container port is misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this revision might contain more information.`,
  );
}

/** Starts a revision's ingress container and runs its startup probe. */
export function createRevisionLauncher(options: LauncherOptions) {
  let counter = 0;

  function resolveEnv(service: ServiceState, container: JsonObject): Record<string, string> {
    const env: Record<string, string> = {};
    ((container.env as JsonObject[] | undefined) ?? []).forEach((entry, index) => {
      const name = String(entry.name);
      if (typeof entry.value === 'string') {
        env[name] = entry.value;
        return;
      }
      const ref =
        ((entry.valueSource as JsonObject | undefined)?.secretKeyRef as JsonObject | undefined) ?? {};
      const secret = String(ref.secret ?? '');
      const qualified = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(secret);
      const name_ = qualified
        ? `projects/${options.projectNumber(qualified[1] ?? '')}/secrets/${qualified[2]}`
        : `projects/${options.projectNumber(service.project)}/secrets/${secret}`;
      const resolved = options.secrets.resolve(name_, String(ref.version || 'latest'));
      if ('problem' in resolved)
        throw new RevisionFailure(
          'SECRETS_ACCESS_CHECK_FAILED',
          `spec.template.spec.containers[0].env[${index}].value_from.secret_key_ref.name: ${resolved.problem}.`,
        );
      env[name] = resolved.value;
    });
    return env;
  }

  async function waitUntilListening(
    instance: ContainerInstance,
    container: JsonObject,
    port: number,
  ): Promise<void> {
    const probe = (container.startupProbe as JsonObject | undefined) ?? {};
    const httpGet = probe.httpGet as JsonObject | undefined;
    const deadline = Date.now() + options.startupTimeoutMs;
    while (Date.now() < deadline) {
      if (!(await options.runtime.isRunning(instance))) throw startupFailure(port);
      const ok = httpGet
        ? await httpProbe(instance.host, instance.port, String(httpGet.path || '/'))
        : await tcpProbe(instance.host, instance.port);
      if (ok && (await options.runtime.isRunning(instance))) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw startupFailure(port);
  }

  return {
    /** Start `revision`; on success `revision.instance` is set, else a `RevisionFailure` is thrown. */
    async start(service: ServiceState, revision: RevisionState): Promise<void> {
      const containers = (revision.template.containers as JsonObject[] | undefined) ?? [];
      const container =
        containers.find((candidate) => ((candidate.ports as JsonObject[] | undefined) ?? []).length > 0) ??
        containers[0] ??
        {};
      const port = containerPortOf(container);
      const env = resolveEnv(service, container);
      const fromEnv = env[options.faultEnv];
      const fault: RevisionFaultMode | undefined =
        options.faults.takeRevisionFault(service.serviceId, revision.short) ??
        (fromEnv === 'crash' || fromEnv === 'startup-probe' ? fromEnv : undefined);
      const limits =
        ((container.resources as JsonObject | undefined)?.limits as Record<string, string> | undefined) ?? {};
      counter += 1;
      let instance: ContainerInstance;
      try {
        instance = await options.runtime.start({
          id: `${options.containerPrefix}-${counter}-${revision.short}`,
          service: service.serviceId,
          revision: revision.short,
          image: String(container.image),
          containerPort: port,
          env: {
            ...env,
            PORT: String(port),
            K_SERVICE: service.serviceId,
            K_REVISION: revision.short,
            K_CONFIGURATION: service.serviceId,
          },
          // Cloud Run's `command` replaces the image's ENTRYPOINT and `args` its CMD.
          ...(Array.isArray(container.command) ? { entrypoint: container.command as string[] } : {}),
          ...(Array.isArray(container.args) ? { command: container.args as string[] } : {}),
          ...(limits.memory ? { memoryBytes: memoryBytes(limits.memory) } : {}),
          ...(limits.cpu ? { nanoCpus: Math.round(cpuCores(limits.cpu) * 1e9) } : {}),
        });
      } catch (error) {
        throw startError(error, String(container.image), port);
      }
      try {
        if (fault === 'crash') await options.runtime.kill(instance);
        if (fault === 'startup-probe') throw startupFailure(port);
        await waitUntilListening(instance, container, port);
      } catch (error) {
        await options.runtime.stop(instance).catch(() => undefined);
        throw error;
      }
      revision.instance = instance;
    },
    async stop(revision: RevisionState): Promise<void> {
      const instance = revision.instance;
      revision.instance = undefined;
      if (instance) await options.runtime.stop(instance);
    },
  };
}

export type RevisionLauncher = ReturnType<typeof createRevisionLauncher>;
