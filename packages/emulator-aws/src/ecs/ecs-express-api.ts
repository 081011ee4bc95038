import type { ContainerInstance } from '@berth/emulator-runtime';
import { openServiceEndpoint, VersionFailure, type VersionLauncher } from '@berth/emulator-runtime';
import { type EmulatorContext, holdFor } from '../emulator-context.js';
import { AwsError } from '../protocol/aws-error.js';
import type { CallContext, Json, JsonApi, OperationHandler } from '../protocol/dispatch.js';
import { ids, paginate } from '../protocol/ids.js';
import { checkInteger, checkList, checkObject, checkString, requireString } from '../protocol/validate.js';
import type { SecretStore } from '../secrets-manager/secret-store.js';
import {
  briefJson,
  circuitBreakerThreshold,
  configurationJson,
  type Deployment,
  type DeploymentStatus,
  deploymentJson,
  type ExpressService,
  type Revision,
  serviceJson,
} from './express-records.js';
import {
  type ExpressConfiguration,
  invalidParameter,
  readConfiguration,
  readRoleArn,
  readServiceName,
} from './validate-express.js';

/** Settings of the ECS part. */
export interface EcsExpressOptions {
  launcher: VersionLauncher;
  secrets: SecretStore;
  healthCheckIntervalScale: number;
}

const serviceNotFound = () => new AwsError('ServiceNotFoundException', 'Service not found.');

/**
 * ECS Express Mode (awsJson1_1, `AmazonEC2ContainerServiceV20141113.*`): Express Gateway services,
 * each configuration a service revision run as a container, deployments with the circuit breaker's
 * automatic rollback, deletion ACTIVE → DRAINING → INACTIVE.
 */
export function ecsExpressApi(context: EmulatorContext, options: EcsExpressOptions) {
  const services = new Map<string, ExpressService>();

  function findService(call: CallContext, reference: string, cluster?: string): ExpressService {
    const service =
      services.get(reference) ??
      [...services.values()].find(
        (candidate) =>
          candidate.region === call.region &&
          candidate.name === reference &&
          (cluster === undefined || candidate.cluster === cluster || candidate.clusterArn === cluster) &&
          candidate.status !== 'INACTIVE',
      );
    if (!service || service.region !== call.region) throw serviceNotFound();
    return service;
  }

  function environmentOf(service: ExpressService, config: ExpressConfiguration): Record<string, string> {
    const container = config.primaryContainer;
    const env: Record<string, string> = {};
    for (const entry of (container.environment as { name: string; value: string }[] | undefined) ?? [])
      env[entry.name] = entry.value;
    for (const secret of (container.secrets as { name: string; valueFrom: string }[] | undefined) ?? []) {
      const resolved = options.secrets.resolve(secret.valueFrom);
      if ('problem' in resolved)
        throw new VersionFailure(
          'image',
          `ResourceInitializationError: unable to pull secrets or registry auth: ${secret.name}: ${resolved.problem} (service ${service.name})`,
        );
      env[secret.name] = resolved.value;
    }
    return env;
  }

  function launch(service: ExpressService, revision: Revision): Promise<ContainerInstance> {
    const config = revision.config;
    const container = config.primaryContainer;
    const intervalMs = Math.max(50, 30_000 * options.healthCheckIntervalScale);
    return options.launcher.start({
      service: service.name,
      image: String(container.image),
      containerPort: Number(container.containerPort ?? 80),
      env: environmentOf(service, config),
      ...(Array.isArray(container.command) ? { command: container.command as string[] } : {}),
      memoryBytes: Number(config.memory) * 1024 * 1024,
      nanoCpus: Math.round((Number(config.cpu) / 1024) * 1e9),
      // The Application Load Balancer's target-group check Express configures: HTTP on healthCheckPath.
      health: {
        protocol: 'HTTP',
        path: config.healthCheckPath,
        intervalMs,
        timeoutMs: 5_000,
        healthyThreshold: 2,
        unhealthyThreshold: 2,
      },
    });
  }

  function touch(deployment: Deployment, status: DeploymentStatus, stage?: string): void {
    // A deployment a newer one replaces says STOP_REQUESTED until it has stopped.
    deployment.status = deployment.stopRequested && status === 'IN_PROGRESS' ? 'STOP_REQUESTED' : status;
    if (stage) deployment.lifecycleStage = stage;
    deployment.updatedAt = new Date(context.now());
  }

  /** Run one deployment after the ones before it: tasks until healthy or the circuit breaker trips. */
  async function runDeployment(service: ExpressService, deployment: Deployment): Promise<void> {
    const startedAt = Date.now();
    const settle = () => holdFor(startedAt, context.operationLatencyMs);
    const finish = (status: DeploymentStatus, reason: string) => {
      touch(deployment, status);
      deployment.statusReason = reason;
      const end = new Date(context.now());
      deployment.finishedAt = end;
      if (status === 'STOPPED') deployment.stoppedAt = end;
      service.updatedAt = end;
    };
    if (deployment.stopRequested) {
      finish('STOPPED', 'Service deployment stopped because a newer deployment was started.');
      return;
    }
    deployment.startedAt = new Date(context.now());
    // The deployments before this one have finished: what serves now is what this one replaces.
    if (service.serving) deployment.source = service.serving.revision;
    touch(deployment, 'IN_PROGRESS', 'SCALE_UP');
    let instance: ContainerInstance | undefined;
    let lastError = '';
    while (!instance && deployment.failureCount < circuitBreakerThreshold) {
      try {
        instance = await launch(service, deployment.target);
      } catch (error) {
        deployment.failureCount += 1;
        lastError = error instanceof Error ? error.message : String(error);
        context.log(`ECS deployment ${deployment.arn} task failed: ${lastError}`);
        if (error instanceof VersionFailure && error.reason === 'image') break;
      }
      if (deployment.stopRequested) {
        await options.launcher.stop(instance);
        await settle();
        finish('STOPPED', 'Service deployment stopped because a newer deployment was started.');
        return;
      }
    }
    if (instance) {
      touch(deployment, 'IN_PROGRESS', 'PRODUCTION_TRAFFIC_SHIFT');
      const previous = service.serving;
      service.serving = { revision: deployment.target, instance };
      service.endpoint.route(instance);
      touch(deployment, 'IN_PROGRESS', 'CLEAN_UP');
      await options.launcher.stop(previous?.instance);
      await settle();
      if (deployment.stopRequested) {
        finish('STOPPED', 'Service deployment stopped because a newer deployment was started.');
        return;
      }
      deployment.circuitBreaker = 'MONITORING_COMPLETE';
      finish('SUCCESSFUL', 'Service deployment completed successfully.');
      return;
    }
    deployment.circuitBreaker = 'TRIGGERED';
    const source = deployment.source;
    if (!source || !service.serving) {
      await settle();
      finish('ROLLBACK_FAILED', `ECS deployment circuit breaker: tasks failed to start. ${lastError}`.trim());
      return;
    }
    deployment.rollback = {
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      startedAt: new Date(context.now()),
      serviceRevisionArn: source.arn,
    };
    touch(deployment, 'ROLLBACK_IN_PROGRESS');
    // The source revision never stopped serving, so rolling back only retires the failed target.
    await settle();
    finish(
      'ROLLBACK_SUCCESSFUL',
      `ECS deployment circuit breaker: tasks failed to start. ${lastError}`.trim(),
    );
  }

  function startDeployment(service: ExpressService, target: Revision): Deployment {
    const now = new Date(context.now());
    const inFlight = service.deployments.filter((deployment) =>
      ['PENDING', 'IN_PROGRESS'].includes(deployment.status),
    );
    for (const deployment of inFlight) {
      deployment.stopRequested = true;
      if (deployment.status === 'IN_PROGRESS') touch(deployment, 'STOP_REQUESTED');
    }
    const deployment: Deployment = {
      arn: `arn:aws:ecs:${service.region}:${context.accountId}:service-deployment/${service.cluster}/${service.name}/${ids.ecsId()}`,
      serviceArn: service.arn,
      clusterArn: service.clusterArn,
      target,
      ...(service.serving ? { source: service.serving.revision } : {}),
      status: 'PENDING',
      createdAt: now,
      updatedAt: now,
      failureCount: 0,
      circuitBreaker: 'MONITORING',
      stopRequested: false,
    };
    service.deployments.unshift(deployment);
    service.updatedAt = now;
    service.work = service.work.then(() =>
      runDeployment(service, deployment).catch((error: unknown) => {
        context.log(`ECS deployment ${deployment.arn}: ${String(error)}`);
      }),
    );
    return deployment;
  }

  function newRevision(service: ExpressService, config: ExpressConfiguration): Revision {
    const revision: Revision = {
      arn: `arn:aws:ecs:${service.region}:${context.accountId}:service-revision/${service.cluster}/${service.name}/${ids.ecsId()}`,
      config,
      createdAt: new Date(context.now()),
    };
    service.revisions.push(revision);
    return revision;
  }

  /** What an update starts from: the latest requested revision, or after a rollback the one serving. */
  function currentConfiguration(service: ExpressService): ExpressConfiguration | undefined {
    const latest = service.deployments[0];
    if (!latest) return undefined;
    const rolledBack = [
      'ROLLBACK_REQUESTED',
      'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_SUCCESSFUL',
      'ROLLBACK_FAILED',
    ].includes(latest.status);
    return (rolledBack ? (service.serving?.revision ?? latest.target) : latest.target).config;
  }

  function requireActive(service: ExpressService): void {
    if (service.status !== 'ACTIVE')
      throw new AwsError('ServiceNotActiveException', 'Service was not ACTIVE.');
  }

  const operations: Record<string, OperationHandler> = {
    async CreateExpressGatewayService(input, call) {
      const infrastructureRoleArn = readRoleArn(
        'infrastructureRoleArn',
        input.infrastructureRoleArn,
        true,
      ) as string;
      const config = readConfiguration(input, undefined);
      const cluster = checkString('cluster', input.cluster) ?? 'default';
      const clusterName = cluster.startsWith('arn:') ? (cluster.split('/').pop() ?? 'default') : cluster;
      const name =
        readServiceName(input.serviceName) ??
        `${(String(config.primaryContainer.image).split('/').pop() ?? 'service').replace(/[^a-zA-Z0-9_-].*$/, '')}-${ids.hex32().slice(0, 6)}`;
      const tags = (checkList('tags', input.tags, { max: 50 }) ?? []).map((tag, index) => {
        const entry = checkObject(`tags.${index}`, tag, true) as Json;
        return {
          key: requireString(`tags.${index}.key`, entry.key, { min: 1, max: 128 }),
          value: checkString(`tags.${index}.value`, entry.value, { max: 256 }) ?? '',
        };
      });
      const arn = `arn:aws:ecs:${call.region}:${call.accountId}:service/${clusterName}/${name}`;
      const existing = services.get(arn);
      if (existing && existing.status !== 'INACTIVE')
        throw invalidParameter('Creation of service was not idempotent.');
      const now = new Date(context.now());
      const service: ExpressService = {
        cluster: clusterName,
        clusterArn: `arn:aws:ecs:${call.region}:${call.accountId}:cluster/${clusterName}`,
        name,
        arn,
        region: call.region,
        infrastructureRoleArn,
        status: 'ACTIVE',
        createdAt: now,
        updatedAt: now,
        tags,
        endpoint: await openServiceEndpoint({ status: 503, body: '503 Service Temporarily Unavailable' }),
        revisions: [],
        deployments: [],
        work: Promise.resolve(),
      };
      services.set(arn, service);
      startDeployment(service, newRevision(service, config));
      return { service: serviceJson(service, true) };
    },

    DescribeExpressGatewayService(input, call) {
      const arn = requireString('serviceArn', input.serviceArn);
      const include = (checkList('include', input.include) ?? []).map(String);
      const service = services.get(arn);
      if (!service || service.region !== call.region) throw serviceNotFound();
      return { service: serviceJson(service, include.includes('TAGS')) };
    },

    UpdateExpressGatewayService(input, call) {
      const service = findService(call, requireString('serviceArn', input.serviceArn));
      requireActive(service);
      const config = readConfiguration(input, currentConfiguration(service));
      const revision = newRevision(service, config);
      startDeployment(service, revision);
      return {
        service: {
          serviceArn: service.arn,
          cluster: service.clusterArn,
          serviceName: service.name,
          status: { statusCode: service.status },
          targetConfiguration: configurationJson(service, revision),
          createdAt: service.createdAt,
          updatedAt: service.updatedAt,
        },
      };
    },

    DeleteExpressGatewayService(input, call) {
      const service = findService(call, requireString('serviceArn', input.serviceArn));
      requireActive(service);
      service.status = 'DRAINING';
      service.updatedAt = new Date(context.now());
      for (const deployment of service.deployments)
        if (['PENDING', 'IN_PROGRESS'].includes(deployment.status)) deployment.stopRequested = true;
      const startedAt = Date.now();
      service.work = service.work.then(async () => {
        service.endpoint.route(undefined);
        await options.launcher.stop(service.serving?.instance);
        service.serving = undefined;
        await service.endpoint.close();
        await holdFor(startedAt, context.operationLatencyMs);
        service.status = 'INACTIVE';
        service.updatedAt = new Date(context.now());
      });
      return { service: serviceJson(service, true) };
    },

    ListServiceDeployments(input, call) {
      const reference = requireString('service', input.service);
      const cluster = checkString('cluster', input.cluster);
      const service = findService(call, reference, cluster);
      const statuses = (checkList('status', input.status) ?? []).map(String);
      const createdAt = checkObject('createdAt', input.createdAt);
      const after = typeof createdAt?.after === 'number' ? createdAt.after * 1000 : undefined;
      const before = typeof createdAt?.before === 'number' ? createdAt.before * 1000 : undefined;
      const maxResults = checkInteger('maxResults', input.maxResults, { min: 1, max: 100 }) ?? 20;
      const listed = service.deployments.filter(
        (deployment) =>
          (statuses.length === 0 || statuses.includes(deployment.status)) &&
          (after === undefined || deployment.createdAt.getTime() >= after) &&
          (before === undefined || deployment.createdAt.getTime() <= before),
      );
      const page = paginate(listed, input.nextToken, maxResults);
      if (!page) throw invalidParameter('Invalid nextToken.');
      return { serviceDeployments: page.page.map(briefJson), nextToken: page.nextToken };
    },

    DescribeServiceDeployments(input) {
      const arns = (
        checkList('serviceDeploymentArns', input.serviceDeploymentArns, {
          required: true,
          min: 1,
          max: 20,
        }) ?? []
      ).map((arn, index) => requireString(`serviceDeploymentArns.${index}`, arn));
      const all = [...services.values()].flatMap((service) => service.deployments);
      const found: Json[] = [];
      const failures: Json[] = [];
      for (const arn of arns) {
        const deployment = all.find((candidate) => candidate.arn === arn);
        if (deployment) found.push(deploymentJson(deployment));
        else failures.push({ arn, reason: 'MISSING' });
      }
      return { serviceDeployments: found, failures };
    },
  };

  const api: JsonApi = {
    targetPrefix: 'AmazonEC2ContainerServiceV20141113',
    signingName: 'ecs',
    jsonVersion: '1.1',
    messageField: 'message',
    operations,
  };
  return {
    api,
    async close() {
      await Promise.all([...services.values()].map((service) => service.work.catch(() => undefined)));
      for (const service of services.values()) {
        await options.launcher.stop(service.serving?.instance);
        await service.endpoint.close();
      }
    },
  };
}
