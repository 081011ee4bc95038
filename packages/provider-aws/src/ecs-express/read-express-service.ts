import type {
  ECSExpressGatewayService,
  ExpressGatewayServiceConfiguration,
  ServiceDeployment,
} from '@aws-sdk/client-ecs';
import type { ObservedService, Resources } from '@berth/core';
import { digestOf, revisionEnv } from '../aws-names.js';

/** The revision ARN serving traffic according to the service's current deployment. */
export function servingRevisionArn(deployment: ServiceDeployment | undefined): string | undefined {
  if (!deployment) return undefined;
  switch (deployment.status) {
    case 'SUCCESSFUL':
      return deployment.targetServiceRevision?.arn;
    case 'ROLLBACK_SUCCESSFUL':
      return deployment.rollback?.serviceRevisionArn ?? deployment.sourceServiceRevisions?.[0]?.arn;
    default:
      return deployment.sourceServiceRevisions?.[0]?.arn;
  }
}

/** The configuration serving traffic (or, on a first deployment, the one being deployed). */
export function servingConfiguration(
  service: ECSExpressGatewayService,
  deployment: ServiceDeployment | undefined,
): ExpressGatewayServiceConfiguration | undefined {
  const configurations = service.activeConfigurations ?? [];
  const arn = servingRevisionArn(deployment);
  return (
    configurations.find((configuration) => configuration.serviceRevisionArn === arn) ??
    (arn ? undefined : configurations[0])
  );
}

/** Berth's revision id of a configuration (kept in its environment). */
export function revisionOfConfiguration(
  configuration: ExpressGatewayServiceConfiguration | undefined,
): string | undefined {
  return configuration?.primaryContainer?.environment?.find((pair) => pair.name === revisionEnv)?.value;
}

/** The URL of a configuration: its ingress path's endpoint. */
export function urlOfConfiguration(
  configuration: ExpressGatewayServiceConfiguration | undefined,
  scheme: 'https' | 'http',
): string | undefined {
  const endpoint =
    configuration?.ingressPaths?.find((path) => path.accessType === 'PUBLIC')?.endpoint ??
    configuration?.ingressPaths?.[0]?.endpoint;
  return endpoint ? `${scheme}://${endpoint}` : undefined;
}

/** The live Express service as Berth observes it. Pure. */
export function readExpressService(input: {
  service: ECSExpressGatewayService;
  deployment?: ServiceDeployment;
  scheme: 'https' | 'http';
}): ObservedService {
  const { service, deployment } = input;
  const configuration = servingConfiguration(service, deployment);
  const container = configuration?.primaryContainer;
  const env: Record<string, string> = {};
  for (const pair of container?.environment ?? [])
    if (pair.name && pair.name !== revisionEnv) env[pair.name] = pair.value ?? '';
  const secrets: ObservedService['secrets'] = {};
  for (const secret of container?.secrets ?? [])
    if (secret.name) secrets[secret.name] = { ref: secret.valueFrom ?? '' };
  const resources: Resources = {};
  if (configuration?.cpu) resources.cpu = Number(configuration.cpu) / 1024;
  if (configuration?.memory) resources.memory = `${configuration.memory}Mi`;
  if (configuration?.scalingTarget?.minTaskCount !== undefined)
    resources.minInstances = configuration.scalingTarget.minTaskCount;
  if (configuration?.scalingTarget?.maxTaskCount !== undefined)
    resources.maxInstances = configuration.scalingTarget.maxTaskCount;
  const revision = revisionOfConfiguration(configuration);
  const url = urlOfConfiguration(configuration, input.scheme);
  const digest = digestOf(container?.image);
  const serving =
    deployment?.status === 'SUCCESSFUL' ||
    deployment?.status === 'ROLLBACK_SUCCESSFUL' ||
    (deployment?.status === 'IN_PROGRESS' && (deployment.sourceServiceRevisions?.length ?? 0) > 0);
  return {
    service: service.serviceName ?? '',
    ...(url ? { url } : {}),
    ...(revision ? { revision } : {}),
    ...(container?.image
      ? { image: { ref: container.image, ...(digest?.startsWith('sha256:') ? { digest } : {}) } }
      : {}),
    port: container?.containerPort ?? 'unknown',
    env,
    secrets,
    resources,
    public: 'unknown',
    provider: {
      executionRoleArn: configuration?.executionRoleArn ?? null,
      taskRoleArn: configuration?.taskRoleArn ?? null,
    },
    ready: service.status?.statusCode === 'ACTIVE' && serving === true,
    ...(configuration === undefined || deployment?.status === 'ROLLBACK_FAILED' ? { running: false } : {}),
    data: {
      serviceArn: service.serviceArn ?? '',
      ...(deployment?.serviceDeploymentArn ? { deploymentArn: deployment.serviceDeploymentArn } : {}),
      ...(configuration?.serviceRevisionArn ? { serviceRevisionArn: configuration.serviceRevisionArn } : {}),
    },
  };
}
