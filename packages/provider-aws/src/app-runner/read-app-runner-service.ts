import type { OperationSummary, Service } from '@aws-sdk/client-apprunner';
import type { ObservedService, Resources } from '@berth/core';
import { digestOf, revisionEnv } from '../aws-names.js';
import { memoryOf, vcpusOf } from './app-runner-sizes.js';

/** The service's URL: App Runner's `ServiceUrl` is a bare host. */
export function serviceUrlOf(service: Service, scheme: 'https' | 'http'): string | undefined {
  return service.ServiceUrl ? `${scheme}://${service.ServiceUrl}` : undefined;
}

/** Berth's revision id of what the service runs (kept in its environment: App Runner has no revisions). */
export function revisionOf(service: Service): string | undefined {
  return service.SourceConfiguration?.ImageRepository?.ImageConfiguration?.RuntimeEnvironmentVariables?.[
    revisionEnv
  ];
}

/**
 * The live App Runner service as Berth observes it. `operation` is the one in progress, when the
 * service is `OPERATION_IN_PROGRESS` (App Runner runs one at a time: the engine waits for it). Pure.
 */
export function readAppRunnerService(input: {
  service: Service;
  scheme: 'https' | 'http';
  operation?: OperationSummary;
}): ObservedService {
  const { service } = input;
  const image = service.SourceConfiguration?.ImageRepository;
  const configuration = image?.ImageConfiguration;
  const env = { ...(configuration?.RuntimeEnvironmentVariables ?? {}) };
  delete env[revisionEnv];
  const secrets: ObservedService['secrets'] = {};
  for (const [key, ref] of Object.entries(configuration?.RuntimeEnvironmentSecrets ?? {}))
    secrets[key] = { ref };
  const resources: Resources = {};
  const cpu = vcpusOf(service.InstanceConfiguration?.Cpu);
  const memory = memoryOf(service.InstanceConfiguration?.Memory);
  if (cpu !== undefined) resources.cpu = cpu;
  if (memory !== undefined) resources.memory = memory;
  const revision = revisionOf(service);
  const url = serviceUrlOf(service, input.scheme);
  const identifier = image?.ImageIdentifier;
  const digest = digestOf(identifier);
  const port = Number(configuration?.Port ?? '8080');
  const isPublic = service.NetworkConfiguration?.IngressConfiguration?.IsPubliclyAccessible;
  const busy = service.Status === 'OPERATION_IN_PROGRESS';
  return {
    service: service.ServiceName ?? '',
    ...(url ? { url } : {}),
    ...(revision ? { revision } : {}),
    ...(identifier
      ? { image: { ref: identifier, ...(digest?.startsWith('sha256:') ? { digest } : {}) } }
      : {}),
    port: Number.isFinite(port) ? port : 'unknown',
    env,
    secrets,
    resources,
    public: isPublic ?? true,
    provider: {
      accessRoleArn: service.SourceConfiguration?.AuthenticationConfiguration?.AccessRoleArn ?? null,
      instanceRoleArn: service.InstanceConfiguration?.InstanceRoleArn ?? null,
    },
    // A failed first version (CREATE_FAILED) or a paused service serves nothing.
    ready: service.Status === 'RUNNING',
    ...(service.Status === 'CREATE_FAILED' || service.Status === 'PAUSED' ? { running: false } : {}),
    ...(busy
      ? {
          busy: {
            operation: input.operation
              ? `${input.operation.Type ?? 'operation'} ${input.operation.Id ?? ''}`.trim()
              : 'an App Runner operation',
            ...(input.operation?.StartedAt ? { since: input.operation.StartedAt.toISOString() } : {}),
          },
        }
      : {}),
    data: { serviceArn: service.ServiceArn ?? '', status: service.Status ?? '' },
  };
}
