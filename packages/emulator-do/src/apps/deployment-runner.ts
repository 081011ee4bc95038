import { type ContainerInstance, VersionFailure, type VersionLauncher } from '@berth/emulator-runtime';
import {
  type AppRecord,
  type DeploymentPhase,
  type DeploymentRecord,
  terminalPhases,
} from './app-records.js';
import {
  type AppServiceSpec,
  type AppSpec,
  defaultInstanceSize,
  healthCheckDefaults,
  instanceSizes,
} from './app-spec.js';
import { endStep, startStep } from './deployment-progress.js';
import type { SecretBox } from './secret-envs.js';

/** What the runner needs from the emulator. */
export interface DeploymentRunnerOptions {
  launcher: VersionLauncher;
  secrets: SecretBox;
  /** The DOCR registry images are pulled from: `host` of the local registry and the account's registry name. */
  registry(): { host: string; name: string | undefined };
  /** Minimum time each of PENDING_BUILD, BUILDING and PENDING_DEPLOY lasts. */
  phaseLatencyMs(): number;
  /** Scales health-check periods and delays (App Platform's are seconds). */
  healthCheckIntervalScale: number;
  now(): number;
  log(line: string): void;
}

/** The image a component pulls: DOCR images from the local registry, under the account's registry name. */
export function imageReference(
  service: AppServiceSpec,
  registry: { host: string; name: string | undefined },
): string {
  const image = service.image ?? {};
  const reference = image.digest ? `@${image.digest}` : `:${image.tag ?? 'latest'}`;
  if (image.registry_type === 'DOCR')
    return `${registry.host}/${registry.name ?? 'no-registry'}/${image.repository}${reference}`;
  const host = image.registry_type === 'GHCR' ? 'ghcr.io' : 'docker.io';
  return `${host}/${image.registry}/${image.repository}${reference}`;
}

/** The run-time environment of a component: app and component envs, secrets decrypted, `PORT` added. */
export function runtimeEnv(
  spec: AppSpec,
  service: AppServiceSpec,
  secrets: SecretBox,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of [...(spec.envs ?? []), ...(service.envs ?? [])]) {
    if (variable.scope === 'BUILD_TIME') continue;
    const value = variable.value ?? '';
    env[variable.key] = variable.type === 'SECRET' ? (secrets.decrypt(value) ?? value) : value;
  }
  if (env.PORT === undefined) env.PORT = String(service.http_port ?? 8080);
  return env;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs deployments through their phases, one component container each, and promotes them. */
export function createDeploymentRunner(options: DeploymentRunnerOptions) {
  function setPhase(deployment: DeploymentRecord, phase: DeploymentPhase) {
    const now = options.now();
    deployment.phase = phase;
    deployment.phaseLastUpdatedAt = now;
    deployment.updatedAt = now;
    deployment.log.push(`${new Date(now).toISOString()} phase ${phase}`);
  }

  /** Still the deployment to carry on with (not canceled or superseded meanwhile). */
  const live = (deployment: DeploymentRecord) => !terminalPhases.includes(deployment.phase);

  async function stopAll(deployment: DeploymentRecord) {
    const instances = [...deployment.instances.values()];
    deployment.instances.clear();
    for (const instance of instances) await options.launcher.stop(instance);
  }

  /** Wait out the phase latency (re-read, so lowering it releases at once), or until the deployment is stopped. */
  async function hold(deployment: DeploymentRecord) {
    const started = Date.now();
    for (;;) {
      const remaining = started + options.phaseLatencyMs() - Date.now();
      if (remaining <= 0 || !live(deployment)) return;
      await sleep(Math.min(remaining, 25));
    }
  }

  function fail(deployment: DeploymentRecord, path: string[], code: string, message: string) {
    endStep(deployment.steps, path, 'ERROR', options.now(), { code, message });
    deployment.log.push(`${new Date(options.now()).toISOString()} ${message}`);
    setPhase(deployment, 'ERROR');
  }

  async function startComponent(
    deployment: DeploymentRecord,
    service: AppServiceSpec,
  ): Promise<ContainerInstance> {
    const check = { ...healthCheckDefaults, ...(service.health_check ?? {}) };
    const scale = options.healthCheckIntervalScale;
    const size = instanceSizes[service.instance_size_slug ?? defaultInstanceSize];
    return options.launcher.start({
      service: deployment.spec.name,
      image: imageReference(service, options.registry()),
      containerPort: service.http_port ?? 8080,
      env: runtimeEnv(deployment.spec, service, options.secrets),
      ...(service.run_command ? { command: ['/bin/sh', '-c', service.run_command] } : {}),
      ...(size ? { memoryBytes: size.memoryBytes, nanoCpus: size.nanoCpus } : {}),
      health: {
        protocol: check.http_path ? 'HTTP' : 'TCP',
        path: check.http_path ?? '/',
        intervalMs: Math.max(50, check.period_seconds * 1000 * scale),
        timeoutMs: Math.max(500, check.timeout_seconds * 1000),
        healthyThreshold: check.success_threshold,
        unhealthyThreshold: check.failure_threshold,
        initialDelayMs: check.initial_delay_seconds * 1000 * scale,
      },
    });
  }

  /**
   * Take `deployment` from PENDING_BUILD to ACTIVE or ERROR. On ACTIVE the app's URL switches to it
   * and the previous active deployment is SUPERSEDED and stopped; on ERROR the previous one keeps serving.
   */
  async function run(app: AppRecord, deployment: DeploymentRecord): Promise<void> {
    const services = deployment.spec.services ?? [];
    await hold(deployment);
    if (!live(deployment)) return;
    setPhase(deployment, 'BUILDING');
    endStep(deployment.steps, ['build', 'initialize'], 'SUCCESS', options.now());
    for (const service of services) {
      startStep(deployment.steps, ['build', 'components', service.name], options.now());
      await hold(deployment);
      if (!live(deployment)) return;
      // An image source has nothing to build: the step succeeds once the image is known.
      endStep(deployment.steps, ['build', 'components', service.name], 'SUCCESS', options.now());
    }
    setPhase(deployment, 'PENDING_DEPLOY');
    await hold(deployment);
    if (!live(deployment)) return;
    setPhase(deployment, 'DEPLOYING');
    endStep(deployment.steps, ['deploy', 'initialize'], 'SUCCESS', options.now());
    for (const service of services) {
      const path = ['deploy', 'components', service.name];
      startStep(deployment.steps, [...path, 'deploy'], options.now());
      try {
        const instance = await startComponent(deployment, service);
        if (!live(deployment)) {
          await options.launcher.stop(instance);
          await stopAll(deployment);
          return;
        }
        deployment.instances.set(service.name, instance);
        endStep(deployment.steps, [...path, 'deploy'], 'SUCCESS', options.now());
        endStep(deployment.steps, [...path, 'wait'], 'SUCCESS', options.now());
      } catch (error) {
        await stopAll(deployment);
        if (!live(deployment)) return;
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof VersionFailure && error.reason === 'image')
          fail(deployment, [...path, 'deploy'], 'DeployImagePullFailed', message);
        else {
          // The container started: its deploy step is done, waiting for it to be healthy failed.
          endStep(deployment.steps, [...path, 'deploy'], 'SUCCESS', options.now());
          const crashed = error instanceof VersionFailure && error.reason === 'crash';
          fail(
            deployment,
            [...path, 'wait'],
            crashed ? 'DeployContainerExited' : 'DeployHealthChecksFailed',
            message,
          );
        }
        options.log(`app ${app.spec.name} deployment ${deployment.id} failed: ${message}`);
        return;
      }
    }
    endStep(deployment.steps, ['deploy', 'finalize'], 'SUCCESS', options.now());
    const previous = app.active;
    const served = deployment.instances.get(services[0]?.name ?? '');
    app.endpoint.route(served);
    // ACTIVE means the switch is complete: the previous deployment's containers are gone by then.
    if (previous && previous !== deployment) await stopAll(previous);
    app.active = deployment;
    setPhase(deployment, 'ACTIVE');
    if (previous && previous !== deployment) setPhase(previous, 'SUPERSEDED');
  }

  /** Stop a deployment that has not finished: CANCELED or SUPERSEDED, its containers removed. */
  async function stop(deployment: DeploymentRecord, phase: 'CANCELED' | 'SUPERSEDED') {
    if (!live(deployment)) return;
    setPhase(deployment, phase);
    await stopAll(deployment);
  }

  return { run, stop, stopAll };
}

export type DeploymentRunner = ReturnType<typeof createDeploymentRunner>;
