import type { ContainerInstance, ServiceEndpoint } from '@berth/emulator-runtime';
import type { Json } from '../protocol/dispatch.js';
import type { HealthCheckConfiguration } from './validate-app-runner.js';

export type ServiceStatus =
  | 'CREATE_FAILED'
  | 'RUNNING'
  | 'DELETED'
  | 'DELETE_FAILED'
  | 'PAUSED'
  | 'OPERATION_IN_PROGRESS';
export type OperationType =
  | 'START_DEPLOYMENT'
  | 'CREATE_SERVICE'
  | 'PAUSE_SERVICE'
  | 'RESUME_SERVICE'
  | 'DELETE_SERVICE'
  | 'UPDATE_SERVICE';
export type OperationStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'FAILED'
  | 'SUCCEEDED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_FAILED'
  | 'ROLLBACK_SUCCEEDED';

/** What a service runs: everything a deployment reads. */
export interface ServiceConfiguration {
  SourceConfiguration: Json;
  InstanceConfiguration: Json;
  HealthCheckConfiguration: HealthCheckConfiguration;
  NetworkConfiguration: Json;
  ObservabilityConfiguration: Json;
  AutoScalingConfigurationArn: string;
  EncryptionConfiguration?: Json;
}

export interface OperationRecord {
  Id: string;
  Type: OperationType;
  Status: OperationStatus;
  TargetArn: string;
  StartedAt: Date;
  EndedAt?: Date;
  UpdatedAt: Date;
}

export interface ServiceRecord {
  name: string;
  id: string;
  arn: string;
  region: string;
  status: ServiceStatus;
  createdAt: Date;
  updatedAt: Date;
  deletedAt?: Date;
  config: ServiceConfiguration;
  tags: { Key: string; Value: string }[];
  endpoint: ServiceEndpoint;
  /** The container serving the URL, and the configuration it runs. */
  serving?: { instance: ContainerInstance; config: ServiceConfiguration };
  operations: OperationRecord[];
  /** The background work of the running operation. */
  work?: Promise<void>;
}

/** A service as `DescribeService` answers it. */
export function serviceJson(service: ServiceRecord): Json {
  const config = service.config;
  return {
    ServiceName: service.name,
    ServiceId: service.id,
    ServiceArn: service.arn,
    ServiceUrl: service.status === 'DELETED' ? undefined : service.endpoint.host,
    CreatedAt: service.createdAt,
    UpdatedAt: service.updatedAt,
    DeletedAt: service.deletedAt,
    Status: service.status,
    SourceConfiguration: config.SourceConfiguration,
    InstanceConfiguration: config.InstanceConfiguration,
    EncryptionConfiguration: config.EncryptionConfiguration,
    HealthCheckConfiguration: config.HealthCheckConfiguration,
    AutoScalingConfigurationSummary: {
      AutoScalingConfigurationArn: config.AutoScalingConfigurationArn,
      AutoScalingConfigurationName: /autoscalingconfiguration\/([^/]+)/.exec(
        config.AutoScalingConfigurationArn,
      )?.[1],
      AutoScalingConfigurationRevision: Number(
        /autoscalingconfiguration\/[^/]+\/(\d+)/.exec(config.AutoScalingConfigurationArn)?.[1] ?? 1,
      ),
      Status: 'ACTIVE',
      CreatedAt: service.createdAt,
      HasAssociatedService: true,
      IsDefault: config.AutoScalingConfigurationArn.includes('/DefaultConfiguration/'),
    },
    NetworkConfiguration: config.NetworkConfiguration,
    ObservabilityConfiguration: config.ObservabilityConfiguration,
  };
}

/** A service as `ListServices` answers it. */
export function serviceSummary(service: ServiceRecord): Json {
  return {
    ServiceName: service.name,
    ServiceId: service.id,
    ServiceArn: service.arn,
    ServiceUrl: service.status === 'DELETED' ? undefined : service.endpoint.host,
    CreatedAt: service.createdAt,
    UpdatedAt: service.updatedAt,
    Status: service.status,
  };
}
