import type { ContainerInstance, ServiceEndpoint } from '@berth/emulator-runtime';
import type { Json } from '../protocol/dispatch.js';
import type { ExpressConfiguration } from './validate-express.js';

export type DeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

export interface Revision {
  arn: string;
  config: ExpressConfiguration;
  createdAt: Date;
}

export interface Deployment {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  target: Revision;
  source?: Revision;
  status: DeploymentStatus;
  statusReason?: string;
  lifecycleStage?: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  stoppedAt?: Date;
  updatedAt: Date;
  failureCount: number;
  circuitBreaker: 'MONITORING' | 'MONITORING_COMPLETE' | 'TRIGGERED';
  rollback?: { reason: string; startedAt: Date; serviceRevisionArn: string };
  /** Set when a newer deployment replaces this one. */
  stopRequested: boolean;
}

export interface ExpressService {
  cluster: string;
  clusterArn: string;
  name: string;
  arn: string;
  region: string;
  infrastructureRoleArn: string;
  status: 'ACTIVE' | 'DRAINING' | 'INACTIVE';
  statusReason?: string;
  createdAt: Date;
  updatedAt: Date;
  tags: { key: string; value: string }[];
  endpoint: ServiceEndpoint;
  revisions: Revision[];
  /** The revision the URL serves, and its container. */
  serving?: { revision: Revision; instance: ContainerInstance };
  deployments: Deployment[];
  work: Promise<void>;
}

/** Failed tasks before the deployment circuit breaker rolls back (ECS's minimum threshold). */
export const circuitBreakerThreshold = 3;

/** A revision as an `ExpressGatewayServiceConfiguration`. */
export function configurationJson(service: ExpressService, revision: Revision): Json {
  return {
    serviceRevisionArn: revision.arn,
    ...revision.config,
    ingressPaths: [{ accessType: 'PUBLIC', endpoint: service.endpoint.host }],
    createdAt: revision.createdAt,
  };
}

/** The revisions serving or being deployed. */
export function activeRevisions(service: ExpressService): Revision[] {
  const inProgress = service.deployments.find((deployment) =>
    ['PENDING', 'IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'].includes(deployment.status),
  );
  const revisions = [service.serving?.revision, inProgress?.target].filter(
    (revision): revision is Revision => revision !== undefined,
  );
  return [...new Set(revisions)];
}

/** A service as `ECSExpressGatewayService`. */
export function serviceJson(service: ExpressService, includeTags: boolean): Json {
  return {
    cluster: service.clusterArn,
    serviceName: service.name,
    serviceArn: service.arn,
    infrastructureRoleArn: service.infrastructureRoleArn,
    status: {
      statusCode: service.status,
      ...(service.statusReason ? { statusReason: service.statusReason } : {}),
    },
    currentDeployment: service.deployments[0]?.arn,
    activeConfigurations:
      service.status === 'INACTIVE'
        ? []
        : activeRevisions(service).map((revision) => configurationJson(service, revision)),
    tags: includeTags ? service.tags : undefined,
    createdAt: service.createdAt,
    updatedAt: service.updatedAt,
  };
}

/** A deployment as `ServiceDeployment`. */
export function deploymentJson(deployment: Deployment): Json {
  const revisionSummary = (revision: Revision, running: boolean) => ({
    arn: revision.arn,
    requestedTaskCount: 1,
    runningTaskCount: running ? 1 : 0,
    pendingTaskCount: 0,
    requestedProductionTrafficWeight: running ? 100 : 0,
  });
  const targetServing = deployment.status === 'SUCCESSFUL';
  return {
    serviceDeploymentArn: deployment.arn,
    serviceArn: deployment.serviceArn,
    clusterArn: deployment.clusterArn,
    createdAt: deployment.createdAt,
    startedAt: deployment.startedAt,
    finishedAt: deployment.finishedAt,
    stoppedAt: deployment.stoppedAt,
    updatedAt: deployment.updatedAt,
    sourceServiceRevisions: deployment.source ? [revisionSummary(deployment.source, !targetServing)] : [],
    targetServiceRevision: revisionSummary(deployment.target, targetServing),
    status: deployment.status,
    statusReason: deployment.statusReason,
    lifecycleStage: deployment.lifecycleStage,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      strategy: 'CANARY',
    },
    rollback: deployment.rollback,
    deploymentCircuitBreaker: {
      status: deployment.circuitBreaker,
      failureCount: deployment.failureCount,
      threshold: circuitBreakerThreshold,
    },
  };
}

/** A deployment as `ServiceDeploymentBrief`. */
export function briefJson(deployment: Deployment): Json {
  return {
    serviceDeploymentArn: deployment.arn,
    serviceArn: deployment.serviceArn,
    clusterArn: deployment.clusterArn,
    startedAt: deployment.startedAt,
    createdAt: deployment.createdAt,
    finishedAt: deployment.finishedAt,
    targetServiceRevisionArn: deployment.target.arn,
    status: deployment.status,
    statusReason: deployment.statusReason,
  };
}
