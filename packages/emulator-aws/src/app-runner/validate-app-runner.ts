import { AwsError } from '../protocol/aws-error.js';
import type { Json } from '../protocol/dispatch.js';
import {
  checkBoolean,
  checkInteger,
  checkList,
  checkObject,
  checkString,
  requireString,
} from '../protocol/validate.js';

/** App Runner's `InvalidRequestException`, for checks beyond the model's constraints. */
export const invalidRequest = (message: string) => new AwsError('InvalidRequestException', message);

export const serviceNamePattern = /^[A-Za-z0-9][A-Za-z0-9-_]{3,39}$/;
const imageIdentifierPattern =
  /([0-9]{12}.dkr.ecr.[a-z-]+-[0-9]{1}.amazonaws.com\/.*)|(^public\.ecr\.aws\/.+\/.+)/;
const imageIdentifierText =
  '([0-9]{12}.dkr.ecr.[a-z\\-]+-[0-9]{1}.amazonaws.com\\/.*)|(^public\\.ecr\\.aws\\/.+\\/.+)';
const roleArnPattern =
  /^arn:(aws|aws-us-gov|aws-cn|aws-iso|aws-iso-b):iam::[0-9]{12}:(role|role\/service-role)\/[\w+=,.@\-/]{1,1000}$/;
const cpuPattern = /^(256|512|1024|2048|4096|(0.25|0.5|1|2|4) vCPU)$/;
const memoryPattern = /^(512|1024|2048|3072|4096|6144|8192|10240|12288|(0.5|1|2|3|4|6|8|10|12) GB)$/;
const kmsKeyPattern =
  /^arn:aws(-[\w]+)*:kms:[a-z-]+-[0-9]{1}:[0-9]{12}:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const genericArnPattern =
  /^arn:aws(-[\w]+)*:[a-z0-9-\\.]{0,63}:[a-z0-9-\\.]{0,63}:[0-9]{12}:(\w|\/|-){1,1011}$/;

/** CPU units and memory MiB App Runner accepts together. */
const combinations: Record<number, number[]> = {
  256: [512, 1024],
  512: [1024],
  1024: [2048, 3072, 4096],
  2048: [4096, 6144],
  4096: [8192, 10240, 12288],
};

/** `1 vCPU` / `1024` → CPU units. */
export function cpuUnits(cpu: string): number {
  return cpu.endsWith('vCPU') ? Math.round(Number.parseFloat(cpu) * 1024) : Number(cpu);
}

/** `2 GB` / `2048` → MiB. */
export function memoryMiB(memory: string): number {
  return memory.endsWith('GB') ? Math.round(Number.parseFloat(memory) * 1024) : Number(memory);
}

/** A health check with App Runner's defaults filled in. */
export interface HealthCheckConfiguration {
  Protocol: 'TCP' | 'HTTP';
  Path: string;
  Interval: number;
  Timeout: number;
  HealthyThreshold: number;
  UnhealthyThreshold: number;
}

/** Validate `HealthCheckConfiguration` (every number 1–20) and fill the defaults. */
export function readHealthCheck(value: unknown): HealthCheckConfiguration | undefined {
  const input = checkObject('healthCheckConfiguration', value);
  if (!input) return undefined;
  const range = { min: 1, max: 20 };
  return {
    Protocol: (checkString('healthCheckConfiguration.protocol', input.Protocol, { enum: ['TCP', 'HTTP'] }) ??
      'TCP') as 'TCP' | 'HTTP',
    Path: checkString('healthCheckConfiguration.path', input.Path, { min: 1 }) ?? '/',
    Interval: checkInteger('healthCheckConfiguration.interval', input.Interval, range) ?? 5,
    Timeout: checkInteger('healthCheckConfiguration.timeout', input.Timeout, range) ?? 2,
    HealthyThreshold:
      checkInteger('healthCheckConfiguration.healthyThreshold', input.HealthyThreshold, range) ?? 1,
    UnhealthyThreshold:
      checkInteger('healthCheckConfiguration.unhealthyThreshold', input.UnhealthyThreshold, range) ?? 5,
  };
}

/** The default health check: TCP every 5 s, timeout 2 s, healthy after 1, unhealthy after 5. */
export const defaultHealthCheck: HealthCheckConfiguration = {
  Protocol: 'TCP',
  Path: '/',
  Interval: 5,
  Timeout: 2,
  HealthyThreshold: 1,
  UnhealthyThreshold: 5,
};

function readKeyValues(
  member: string,
  value: unknown,
  check: (key: string, value: string) => void,
): Record<string, string> | undefined {
  const input = checkObject(member, value);
  if (!input) return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(input)) {
    checkString(`${member}.key`, key, { min: 1, max: 51200 });
    const text = requireString(`${member}.${key}`, entry, { max: 51200 });
    check(key, text);
    out[key] = text;
  }
  return out;
}

/** Validate `SourceConfiguration` for an image service. */
export function readSourceConfiguration(value: unknown, required: boolean): Json | undefined {
  const input = checkObject('sourceConfiguration', value, required);
  if (!input) return undefined;
  if (input.CodeRepository !== undefined && input.ImageRepository !== undefined)
    throw invalidRequest('You can specify either CodeRepository or ImageRepository, but not both.');
  if (input.CodeRepository !== undefined)
    throw invalidRequest(
      'This emulator runs image repositories only: CodeRepository sources are not supported.',
    );
  const image = checkObject('sourceConfiguration.imageRepository', input.ImageRepository);
  if (!image) throw invalidRequest('You must specify either CodeRepository or ImageRepository.');
  const identifier = requireString(
    'sourceConfiguration.imageRepository.imageIdentifier',
    image.ImageIdentifier,
    {
      min: 1,
      max: 1024,
      pattern: imageIdentifierPattern,
      patternText: imageIdentifierText,
    },
  );
  const type = requireString(
    'sourceConfiguration.imageRepository.imageRepositoryType',
    image.ImageRepositoryType,
    {
      enum: ['ECR', 'ECR_PUBLIC'],
    },
  );
  if (type === 'ECR' && identifier.startsWith('public.ecr.aws/'))
    throw invalidRequest(`The image identifier ${identifier} is not an Amazon ECR private repository image.`);
  if (type === 'ECR_PUBLIC' && !identifier.startsWith('public.ecr.aws/'))
    throw invalidRequest(`The image identifier ${identifier} is not an Amazon ECR Public image.`);
  const imageConfig = checkObject(
    'sourceConfiguration.imageRepository.imageConfiguration',
    image.ImageConfiguration,
  );
  const port = checkString('sourceConfiguration.imageRepository.imageConfiguration.port', imageConfig?.Port, {
    max: 51200,
  });
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    throw invalidRequest(`Port ${port} is not a valid port number.`);
  const reserved = (member: string) => (key: string) => {
    if (key.startsWith('AWSAPPRUNNER'))
      throw invalidRequest(`${member} names can't start with the reserved prefix AWSAPPRUNNER: ${key}`);
  };
  const variables = readKeyValues(
    'sourceConfiguration.imageRepository.imageConfiguration.runtimeEnvironmentVariables',
    imageConfig?.RuntimeEnvironmentVariables,
    reserved('RuntimeEnvironmentVariables'),
  );
  const secrets = readKeyValues(
    'sourceConfiguration.imageRepository.imageConfiguration.runtimeEnvironmentSecrets',
    imageConfig?.RuntimeEnvironmentSecrets,
    (key, text) => {
      reserved('RuntimeEnvironmentSecrets')(key);
      if (!/^arn:aws[a-z-]*:(secretsmanager|ssm):/.test(text))
        throw invalidRequest(
          `RuntimeEnvironmentSecrets value for ${key} must be the ARN of a Secrets Manager secret or an SSM parameter.`,
        );
    },
  );
  const startCommand = checkString(
    'sourceConfiguration.imageRepository.imageConfiguration.startCommand',
    imageConfig?.StartCommand,
  );
  const auth = checkObject(
    'sourceConfiguration.authenticationConfiguration',
    input.AuthenticationConfiguration,
  );
  const accessRoleArn = checkString(
    'sourceConfiguration.authenticationConfiguration.accessRoleArn',
    auth?.AccessRoleArn,
    {
      min: 29,
      max: 1024,
      pattern: roleArnPattern,
    },
  );
  if (type === 'ECR' && !accessRoleArn)
    throw invalidRequest(
      'Authentication configuration is invalid: an AccessRoleArn is required for a private Amazon ECR image.',
    );
  const autoDeployments = checkBoolean(
    'sourceConfiguration.autoDeploymentsEnabled',
    input.AutoDeploymentsEnabled,
  );
  return {
    ImageRepository: {
      ImageIdentifier: identifier,
      ImageRepositoryType: type,
      ImageConfiguration: {
        Port: port ?? '8080',
        ...(variables ? { RuntimeEnvironmentVariables: variables } : {}),
        ...(secrets ? { RuntimeEnvironmentSecrets: secrets } : {}),
        ...(startCommand !== undefined ? { StartCommand: startCommand } : {}),
      },
    },
    // Same-account ECR images deploy automatically on push unless this is false (App Runner's default).
    AutoDeploymentsEnabled: autoDeployments ?? type === 'ECR',
    ...(accessRoleArn ? { AuthenticationConfiguration: { AccessRoleArn: accessRoleArn } } : {}),
  };
}

/** Validate `InstanceConfiguration` and fill App Runner's defaults (1 vCPU, 2 GB). */
export function readInstanceConfiguration(value: unknown): Json | undefined {
  const input = checkObject('instanceConfiguration', value);
  if (!input) return undefined;
  const cpu =
    checkString('instanceConfiguration.cpu', input.Cpu, { min: 3, max: 9, pattern: cpuPattern }) ?? '1024';
  const memory =
    checkString('instanceConfiguration.memory', input.Memory, { min: 3, max: 6, pattern: memoryPattern }) ??
    '2048';
  const role = checkString('instanceConfiguration.instanceRoleArn', input.InstanceRoleArn, {
    min: 29,
    max: 1024,
    pattern: roleArnPattern,
  });
  const units = cpuUnits(cpu);
  if (!combinations[units]?.includes(memoryMiB(memory)))
    throw invalidRequest(`The CPU and memory combination (Cpu: ${cpu}, Memory: ${memory}) is not supported.`);
  return {
    Cpu: String(units),
    Memory: String(memoryMiB(memory)),
    ...(role ? { InstanceRoleArn: role } : {}),
  };
}

/** Validate `NetworkConfiguration` and fill the defaults (public ingress, default egress, IPv4). */
export function readNetworkConfiguration(value: unknown): Json | undefined {
  const input = checkObject('networkConfiguration', value);
  if (!input) return undefined;
  const egress = checkObject('networkConfiguration.egressConfiguration', input.EgressConfiguration);
  const egressType =
    checkString('networkConfiguration.egressConfiguration.egressType', egress?.EgressType, {
      enum: ['DEFAULT', 'VPC'],
    }) ?? 'DEFAULT';
  const connector = checkString(
    'networkConfiguration.egressConfiguration.vpcConnectorArn',
    egress?.VpcConnectorArn,
    {
      min: 44,
      max: 1011,
      pattern: genericArnPattern,
    },
  );
  if (egressType === 'VPC' && !connector)
    throw invalidRequest('A VpcConnectorArn is required when EgressType is VPC.');
  const ingress = checkObject('networkConfiguration.ingressConfiguration', input.IngressConfiguration);
  return {
    EgressConfiguration: { EgressType: egressType, ...(connector ? { VpcConnectorArn: connector } : {}) },
    IngressConfiguration: {
      IsPubliclyAccessible:
        checkBoolean(
          'networkConfiguration.ingressConfiguration.isPubliclyAccessible',
          ingress?.IsPubliclyAccessible,
        ) ?? true,
    },
    IpAddressType:
      checkString('networkConfiguration.ipAddressType', input.IpAddressType, {
        enum: ['IPV4', 'DUAL_STACK'],
      }) ?? 'IPV4',
  };
}

/** Validate `EncryptionConfiguration`. */
export function readEncryption(value: unknown): Json | undefined {
  const input = checkObject('encryptionConfiguration', value);
  if (!input) return undefined;
  return {
    KmsKey: requireString('encryptionConfiguration.kmsKey', input.KmsKey, {
      max: 256,
      pattern: kmsKeyPattern,
    }),
  };
}

/** Validate App Runner `Tags`. */
export function readTags(value: unknown): { Key: string; Value: string }[] {
  return (checkList('tags', value) ?? []).map((tag, index) => {
    const entry = checkObject(`tags.${index + 1}.member`, tag, true) as Json;
    const key = requireString(`tags.${index + 1}.member.key`, entry.Key, {
      min: 1,
      max: 128,
      pattern: /^(?!aws:).+$/,
    });
    return {
      Key: key,
      Value: checkString(`tags.${index + 1}.member.value`, entry.Value, { max: 256 }) ?? '',
    };
  });
}

/** Validate `AutoScalingConfigurationArn` and `ObservabilityConfiguration`. */
export function readArn(member: string, value: unknown): string | undefined {
  return checkString(member, value, { min: 1, max: 1011, pattern: genericArnPattern });
}
