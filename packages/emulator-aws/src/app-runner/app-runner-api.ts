import type { ContainerInstance } from '@berth/emulator-runtime';
import { openServiceEndpoint, VersionFailure, type VersionLauncher } from '@berth/emulator-runtime';
import { type EmulatorContext, holdFor } from '../emulator-context.js';
import { AwsError } from '../protocol/aws-error.js';
import type { CallContext, Json, JsonApi, OperationHandler } from '../protocol/dispatch.js';
import { ids, paginate } from '../protocol/ids.js';
import { checkInteger, checkList, checkObject, requireString } from '../protocol/validate.js';
import type { SecretStore } from '../secrets-manager/secret-store.js';
import {
  type OperationRecord,
  type OperationStatus,
  type OperationType,
  type ServiceConfiguration,
  type ServiceRecord,
  type ServiceStatus,
  serviceJson,
  serviceSummary,
} from './service-record.js';
import {
  cpuUnits,
  defaultHealthCheck,
  invalidRequest,
  memoryMiB,
  readArn,
  readEncryption,
  readHealthCheck,
  readInstanceConfiguration,
  readNetworkConfiguration,
  readSourceConfiguration,
  readTags,
  serviceNamePattern,
} from './validate-app-runner.js';

/** Settings of the App Runner part. */
export interface AppRunnerOptions {
  launcher: VersionLauncher;
  secrets: SecretStore;
  /** Scales health-check intervals (1 = App Runner's seconds). */
  healthCheckIntervalScale: number;
}

const notFound = (arn: string) => new AwsError('ResourceNotFoundException', `Resource ${arn} is not found`);

/**
 * App Runner (awsJson1_0, `AppRunner.*`): image services whose versions run as containers, one
 * operation at a time, with the real service and operation statuses and App Runner's own rollback
 * of a deployment that fails its health check.
 */
export function appRunnerApi(context: EmulatorContext, options: AppRunnerOptions) {
  const services = new Map<string, ServiceRecord>();

  function defaultAutoScalingArn(call: CallContext): string {
    return `arn:aws:apprunner:${call.region}:${call.accountId}:autoscalingconfiguration/DefaultConfiguration/1/00000000000000000000000000000001`;
  }

  function requireService(call: CallContext, value: unknown, member = 'serviceArn'): ServiceRecord {
    const arn = requireString(member, value, { min: 1, max: 1011 });
    const service = services.get(arn);
    if (!service || service.region !== call.region) throw notFound(arn);
    return service;
  }

  /** Everything the container is given; throws a VersionFailure when a secret cannot be read. */
  function environmentOf(service: ServiceRecord, config: ServiceConfiguration): Record<string, string> {
    const image = config.SourceConfiguration.ImageRepository as Json;
    const imageConfig = (image.ImageConfiguration as Json | undefined) ?? {};
    const env: Record<string, string> = {
      ...((imageConfig.RuntimeEnvironmentVariables as Record<string, string> | undefined) ?? {}),
    };
    for (const [name, reference] of Object.entries(
      (imageConfig.RuntimeEnvironmentSecrets as Record<string, string> | undefined) ?? {},
    )) {
      const resolved = options.secrets.resolve(reference);
      if ('problem' in resolved)
        throw new VersionFailure(
          'image',
          `Failed to retrieve secret ${name} for service ${service.name}: ${resolved.problem}.`,
        );
      env[name] = resolved.value;
    }
    env.PORT = String(imageConfig.Port ?? '8080');
    return env;
  }

  async function launch(service: ServiceRecord, config: ServiceConfiguration): Promise<ContainerInstance> {
    const image = config.SourceConfiguration.ImageRepository as Json;
    const imageConfig = (image.ImageConfiguration as Json | undefined) ?? {};
    const health = config.HealthCheckConfiguration;
    const startCommand = imageConfig.StartCommand as string | undefined;
    return options.launcher.start({
      service: service.name,
      image: String(image.ImageIdentifier),
      containerPort: Number(imageConfig.Port ?? 8080),
      env: environmentOf(service, config),
      ...(startCommand ? { command: startCommand.split(/\s+/).filter(Boolean) } : {}),
      memoryBytes: memoryMiB(String(config.InstanceConfiguration.Memory)) * 1024 * 1024,
      nanoCpus: Math.round((cpuUnits(String(config.InstanceConfiguration.Cpu)) / 1024) * 1e9),
      health: {
        protocol: health.Protocol,
        path: health.Path,
        intervalMs: Math.max(50, health.Interval * 1000 * options.healthCheckIntervalScale),
        timeoutMs: health.Timeout * 1000,
        healthyThreshold: health.HealthyThreshold,
        unhealthyThreshold: health.UnhealthyThreshold,
      },
    });
  }

  /** Switch the URL to a healthy new version and retire the one it served. */
  async function promote(service: ServiceRecord, instance: ContainerInstance, config: ServiceConfiguration) {
    const previous = service.serving;
    service.serving = { instance, config };
    service.endpoint.route(instance);
    await options.launcher.stop(previous?.instance);
  }

  /**
   * Run one operation in the background: the service is OPERATION_IN_PROGRESS until `work` settles
   * and the configured latency passed; `work` returns the operation's and the service's final status.
   */
  function startOperation(
    service: ServiceRecord,
    type: OperationType,
    work: (operation: OperationRecord) => Promise<{ operation: OperationStatus; service: ServiceStatus }>,
  ): OperationRecord {
    const now = new Date(context.now());
    const operation: OperationRecord = {
      Id: ids.hex32(),
      Type: type,
      Status: 'PENDING',
      TargetArn: service.arn,
      StartedAt: now,
      UpdatedAt: now,
    };
    service.operations.unshift(operation);
    service.status = 'OPERATION_IN_PROGRESS';
    service.updatedAt = now;
    const startedAt = Date.now();
    service.work = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      operation.Status = 'IN_PROGRESS';
      operation.UpdatedAt = new Date(context.now());
      let outcome: { operation: OperationStatus; service: ServiceStatus };
      try {
        outcome = await work(operation);
      } catch (error) {
        context.log(
          `App Runner ${type} ${service.name}: ${error instanceof Error ? error.message : String(error)}`,
        );
        outcome = { operation: 'FAILED', service: type === 'CREATE_SERVICE' ? 'CREATE_FAILED' : 'RUNNING' };
      }
      await holdFor(startedAt, context.operationLatencyMs);
      const end = new Date(context.now());
      operation.Status = outcome.operation;
      operation.EndedAt = end;
      operation.UpdatedAt = end;
      service.status = outcome.service;
      service.updatedAt = end;
      if (outcome.service === 'DELETED') service.deletedAt = end;
      service.work = undefined;
    })();
    return operation;
  }

  /** Deploy `config`; on failure App Runner rolls back to what served before (the old version keeps serving). */
  function deploy(
    service: ServiceRecord,
    type: OperationType,
    config: ServiceConfiguration,
    previous: ServiceConfiguration,
  ) {
    return startOperation(service, type, async (operation) => {
      try {
        const instance = await launch(service, config);
        await promote(service, instance, config);
        return { operation: 'SUCCEEDED', service: 'RUNNING' };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        context.log(`App Runner ${type} ${service.name} failed: ${reason}`);
        if (type === 'CREATE_SERVICE') return { operation: 'FAILED', service: 'CREATE_FAILED' };
        operation.Status = 'ROLLBACK_IN_PROGRESS';
        operation.UpdatedAt = new Date(context.now());
        service.config = previous;
        if (service.serving && (await runningStill(service.serving.instance)))
          return { operation: 'ROLLBACK_SUCCEEDED', service: 'RUNNING' };
        try {
          const instance = await launch(service, previous);
          await promote(service, instance, previous);
          return { operation: 'ROLLBACK_SUCCEEDED', service: 'RUNNING' };
        } catch {
          return { operation: 'ROLLBACK_FAILED', service: 'RUNNING' };
        }
      }
    });
  }

  async function runningStill(instance: ContainerInstance): Promise<boolean> {
    return options.launcher.isRunning(instance);
  }

  function requireState(service: ServiceRecord, allowed: ServiceStatus[], verb: string): void {
    if (!allowed.includes(service.status))
      throw new AwsError(
        'InvalidStateException',
        `You can't ${verb} service ${service.arn} in its current state: ${service.status}.${service.status === 'OPERATION_IN_PROGRESS' ? ` Operation ${service.operations[0]?.Id} (${service.operations[0]?.Type}) is in progress.` : ''}`,
      );
  }

  const operations: Record<string, OperationHandler> = {
    async CreateService(input, call) {
      const name = requireString('serviceName', input.ServiceName, {
        min: 4,
        max: 40,
        pattern: serviceNamePattern,
        patternText: '[A-Za-z0-9][A-Za-z0-9-_]{3,39}',
      });
      const source = readSourceConfiguration(input.SourceConfiguration, true) as Json;
      const config: ServiceConfiguration = {
        SourceConfiguration: source,
        InstanceConfiguration: readInstanceConfiguration(input.InstanceConfiguration) ?? {
          Cpu: '1024',
          Memory: '2048',
        },
        HealthCheckConfiguration: readHealthCheck(input.HealthCheckConfiguration) ?? defaultHealthCheck,
        NetworkConfiguration: readNetworkConfiguration(input.NetworkConfiguration) ?? {
          EgressConfiguration: { EgressType: 'DEFAULT' },
          IngressConfiguration: { IsPubliclyAccessible: true },
          IpAddressType: 'IPV4',
        },
        ObservabilityConfiguration: readObservability(input.ObservabilityConfiguration) ?? {
          ObservabilityEnabled: false,
        },
        AutoScalingConfigurationArn:
          readArn('autoScalingConfigurationArn', input.AutoScalingConfigurationArn) ??
          defaultAutoScalingArn(call),
        ...(input.EncryptionConfiguration !== undefined
          ? { EncryptionConfiguration: readEncryption(input.EncryptionConfiguration) }
          : {}),
      };
      const tags = readTags(input.Tags);
      for (const existing of services.values())
        if (existing.region === call.region && existing.name === name && existing.status !== 'DELETED')
          throw invalidRequest(`Service with the provided name already exists: ${name}`);
      const id = ids.hex32();
      const now = new Date(context.now());
      const service: ServiceRecord = {
        name,
        id,
        arn: `arn:aws:apprunner:${call.region}:${call.accountId}:service/${name}/${id}`,
        region: call.region,
        status: 'OPERATION_IN_PROGRESS',
        createdAt: now,
        updatedAt: now,
        config,
        tags,
        endpoint: await openServiceEndpoint({ status: 404, body: '404 Not Found' }),
        operations: [],
      };
      services.set(service.arn, service);
      const operation = deploy(service, 'CREATE_SERVICE', config, config);
      return { Service: serviceJson(service), OperationId: operation.Id };
    },

    DescribeService(input, call) {
      return { Service: serviceJson(requireService(call, input.ServiceArn)) };
    },

    UpdateService(input, call) {
      const service = requireService(call, input.ServiceArn);
      const source = readSourceConfiguration(input.SourceConfiguration, false);
      const instance = readInstanceConfiguration(input.InstanceConfiguration);
      const health = readHealthCheck(input.HealthCheckConfiguration);
      const network = readNetworkConfiguration(input.NetworkConfiguration);
      const observability = readObservability(input.ObservabilityConfiguration);
      const autoScaling = readArn('autoScalingConfigurationArn', input.AutoScalingConfigurationArn);
      requireState(service, ['RUNNING'], 'update');
      const previous = service.config;
      const next: ServiceConfiguration = {
        ...previous,
        ...(source ? { SourceConfiguration: source } : {}),
        ...(instance ? { InstanceConfiguration: instance } : {}),
        ...(health ? { HealthCheckConfiguration: health } : {}),
        ...(network ? { NetworkConfiguration: network } : {}),
        ...(observability ? { ObservabilityConfiguration: observability } : {}),
        ...(autoScaling ? { AutoScalingConfigurationArn: autoScaling } : {}),
      };
      service.config = next;
      const operation = deploy(service, 'UPDATE_SERVICE', next, previous);
      return { Service: serviceJson(service), OperationId: operation.Id };
    },

    StartDeployment(input, call) {
      const service = requireService(call, input.ServiceArn);
      requireState(service, ['RUNNING'], 'start a deployment of');
      const operation = deploy(service, 'START_DEPLOYMENT', service.config, service.config);
      return { OperationId: operation.Id };
    },

    PauseService(input, call) {
      const service = requireService(call, input.ServiceArn);
      requireState(service, ['RUNNING'], 'pause');
      const operation = startOperation(service, 'PAUSE_SERVICE', async () => {
        const serving = service.serving;
        service.endpoint.route(undefined);
        await options.launcher.stop(serving?.instance);
        service.serving = undefined;
        return { operation: 'SUCCEEDED', service: 'PAUSED' };
      });
      return { Service: serviceJson(service), OperationId: operation.Id };
    },

    ResumeService(input, call) {
      const service = requireService(call, input.ServiceArn);
      requireState(service, ['PAUSED'], 'resume');
      const operation = startOperation(service, 'RESUME_SERVICE', async () => {
        try {
          await promote(service, await launch(service, service.config), service.config);
          return { operation: 'SUCCEEDED', service: 'RUNNING' };
        } catch {
          return { operation: 'FAILED', service: 'PAUSED' };
        }
      });
      return { Service: serviceJson(service), OperationId: operation.Id };
    },

    DeleteService(input, call) {
      const service = requireService(call, input.ServiceArn);
      requireState(service, ['RUNNING', 'PAUSED', 'CREATE_FAILED', 'DELETE_FAILED'], 'delete');
      const operation = startOperation(service, 'DELETE_SERVICE', async () => {
        service.endpoint.route(undefined);
        await options.launcher.stop(service.serving?.instance);
        service.serving = undefined;
        await service.endpoint.close();
        return { operation: 'SUCCEEDED', service: 'DELETED' };
      });
      return { Service: serviceJson(service), OperationId: operation.Id };
    },

    ListServices(input, call) {
      const maxResults = checkInteger('maxResults', input.MaxResults, { min: 1, max: 20 }) ?? 20;
      const listed = [...services.values()].filter(
        (service) => service.region === call.region && service.status !== 'DELETED',
      );
      const page = paginate(listed, input.NextToken, maxResults);
      if (!page) throw invalidRequest('The NextToken is not valid.');
      return { ServiceSummaryList: page.page.map(serviceSummary), NextToken: page.nextToken };
    },

    ListOperations(input, call) {
      const service = requireService(call, input.ServiceArn);
      const maxResults = checkInteger('maxResults', input.MaxResults, { min: 1, max: 20 }) ?? 20;
      const page = paginate(service.operations, input.NextToken, maxResults);
      if (!page) throw invalidRequest('The NextToken is not valid.');
      return {
        OperationSummaryList: page.page.map((operation) => ({ ...operation })),
        NextToken: page.nextToken,
      };
    },

    ListTagsForResource(input, call) {
      return { Tags: requireService(call, input.ResourceArn, 'resourceArn').tags };
    },

    TagResource(input, call) {
      const service = requireService(call, input.ResourceArn, 'resourceArn');
      for (const tag of readTags(checkList('tags', input.Tags, { required: true })))
        service.tags = [...service.tags.filter((other) => other.Key !== tag.Key), tag];
      return {};
    },

    UntagResource(input, call) {
      const service = requireService(call, input.ResourceArn, 'resourceArn');
      const keys = (checkList('tagKeys', input.TagKeys, { required: true }) ?? []).map(String);
      service.tags = service.tags.filter((tag) => !keys.includes(tag.Key));
      return {};
    },
  };

  function readObservability(value: unknown): Json | undefined {
    const input = checkObject('observabilityConfiguration', value);
    if (!input) return undefined;
    if (typeof input.ObservabilityEnabled !== 'boolean')
      throw new AwsError(
        'ValidationException',
        "1 validation error detected: Value null at 'observabilityConfiguration.observabilityEnabled' failed to satisfy constraint: Member must not be null",
      );
    const arn = readArn(
      'observabilityConfiguration.observabilityConfigurationArn',
      input.ObservabilityConfigurationArn,
    );
    return {
      ObservabilityEnabled: input.ObservabilityEnabled,
      ...(arn ? { ObservabilityConfigurationArn: arn } : {}),
    };
  }

  const api: JsonApi = {
    targetPrefix: 'AppRunner',
    signingName: 'apprunner',
    jsonVersion: '1.0',
    messageField: 'Message',
    operations,
  };
  return {
    api,
    /** Wait for running operations, then stop every container and URL. */
    async close() {
      await Promise.all([...services.values()].map((service) => service.work?.catch(() => undefined)));
      for (const service of services.values()) {
        await options.launcher.stop(service.serving?.instance);
        await service.endpoint.close();
      }
    },
  };
}
