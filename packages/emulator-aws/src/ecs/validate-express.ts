import { AwsError } from '../protocol/aws-error.js';
import type { Json } from '../protocol/dispatch.js';
import { checkInteger, checkList, checkObject, checkString, requireString } from '../protocol/validate.js';

/** ECS's `InvalidParameterException` / `ClientException`, for checks beyond the model's constraints. */
export const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);
export const clientException = (message: string) => new AwsError('ClientException', message);

const roleArnPattern = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/;
const namePattern = /^[a-zA-Z0-9_-]{1,255}$/;

/** Fargate's CPU units and the memory (MiB) each allows. */
const fargate: Record<string, number[]> = {
  '256': [512, 1024, 2048],
  '512': [1024, 2048, 3072, 4096],
  '1024': [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  '2048': Array.from({ length: 13 }, (_, index) => 4096 + index * 1024),
  '4096': Array.from({ length: 23 }, (_, index) => 8192 + index * 1024),
  '8192': Array.from({ length: 12 }, (_, index) => 16384 + index * 4096),
  '16384': Array.from({ length: 12 }, (_, index) => 32768 + index * 8192),
};

/** What an Express service runs: one configuration (a service revision). */
export interface ExpressConfiguration {
  executionRoleArn?: string;
  taskRoleArn?: string;
  cpu: string;
  memory: string;
  cpuArchitecture: string;
  healthCheckPath: string;
  primaryContainer: Json;
  scalingTarget: Json;
  networkConfiguration?: Json;
}

/** A service name (ECS: up to 255 letters, numbers, hyphens and underscores). */
export function readServiceName(value: unknown): string | undefined {
  const name = checkString('serviceName', value);
  if (name !== undefined && !namePattern.test(name))
    throw invalidParameter(
      'Service name can have up to 255 letters (uppercase and lowercase), numbers, underscores and hyphens.',
    );
  return name;
}

/** A role ARN member. */
export function readRoleArn(member: string, value: unknown, required = false): string | undefined {
  const arn = checkString(member, value, { required });
  if (arn !== undefined && !roleArnPattern.test(arn))
    throw invalidParameter(`${member} is not a valid IAM role ARN: ${arn}`);
  return arn;
}

function readContainer(value: unknown): Json {
  const input = checkObject('primaryContainer', value, true) as Json;
  const image = requireString('primaryContainer.image', input.image, { min: 1 });
  const port = checkInteger('primaryContainer.containerPort', input.containerPort) ?? 80;
  if (port < 1 || port > 65535) throw invalidParameter(`Container port ${port} is not within 1-65535.`);
  const environment = (checkList('primaryContainer.environment', input.environment) ?? []).map(
    (entry, index) => {
      const pair = checkObject(`primaryContainer.environment.${index}`, entry, true) as Json;
      const name = requireString(`primaryContainer.environment.${index}.name`, pair.name);
      if (name === '') throw invalidParameter('Environment variable names must not be empty.');
      return { name, value: checkString(`primaryContainer.environment.${index}.value`, pair.value) ?? '' };
    },
  );
  const names = new Set<string>();
  const secrets = (checkList('primaryContainer.secrets', input.secrets) ?? []).map((entry, index) => {
    const secret = checkObject(`primaryContainer.secrets.${index}`, entry, true) as Json;
    const name = requireString(`primaryContainer.secrets.${index}.name`, secret.name);
    const valueFrom = requireString(`primaryContainer.secrets.${index}.valueFrom`, secret.valueFrom);
    if (!/^arn:aws[a-z-]*:(secretsmanager|ssm):/.test(valueFrom) && !/^[\w./-]+$/.test(valueFrom))
      throw invalidParameter(`The secret ${name} has an invalid valueFrom: ${valueFrom}`);
    return { name, valueFrom };
  });
  for (const name of [...environment.map((entry) => entry.name), ...secrets.map((entry) => entry.name)]) {
    if (names.has(name)) throw clientException(`The container defines the variable ${name} more than once.`);
    names.add(name);
  }
  const command = (checkList('primaryContainer.command', input.command) ?? []).map((part, index) =>
    requireString(`primaryContainer.command.${index}`, part),
  );
  const logs = checkObject('primaryContainer.awsLogsConfiguration', input.awsLogsConfiguration);
  return {
    image,
    containerPort: port,
    ...(environment.length > 0 ? { environment } : {}),
    ...(secrets.length > 0 ? { secrets } : {}),
    ...(command.length > 0 ? { command } : {}),
    ...(logs
      ? {
          awsLogsConfiguration: {
            logGroup: requireString('primaryContainer.awsLogsConfiguration.logGroup', logs.logGroup),
            logStreamPrefix: requireString(
              'primaryContainer.awsLogsConfiguration.logStreamPrefix',
              logs.logStreamPrefix,
            ),
          },
        }
      : {}),
    ...(input.repositoryCredentials ? { repositoryCredentials: input.repositoryCredentials } : {}),
  };
}

function readScaling(value: unknown): Json | undefined {
  const input = checkObject('scalingTarget', value);
  if (!input) return undefined;
  const min = checkInteger('scalingTarget.minTaskCount', input.minTaskCount) ?? 1;
  const max = checkInteger('scalingTarget.maxTaskCount', input.maxTaskCount) ?? 20;
  if (min < 1 || max < min)
    throw invalidParameter('scalingTarget: minTaskCount must be at least 1 and at most maxTaskCount.');
  const metric =
    checkString('scalingTarget.autoScalingMetric', input.autoScalingMetric, {
      enum: ['AVERAGE_CPU', 'AVERAGE_MEMORY', 'REQUEST_COUNT_PER_TARGET'],
    }) ?? 'AVERAGE_CPU';
  const target = checkInteger('scalingTarget.autoScalingTargetValue', input.autoScalingTargetValue) ?? 60;
  return { minTaskCount: min, maxTaskCount: max, autoScalingMetric: metric, autoScalingTargetValue: target };
}

/** Read the configuration members of Create/UpdateExpressGatewayService over `base` (the current one on update). */
export function readConfiguration(input: Json, base: ExpressConfiguration | undefined): ExpressConfiguration {
  if (input.taskDefinitionArn !== undefined)
    throw invalidParameter(
      'This emulator runs primaryContainer configurations only: taskDefinitionArn is not supported.',
    );
  if (!base && input.primaryContainer === undefined)
    throw invalidParameter('primaryContainer is required when taskDefinitionArn is not given.');
  const primaryContainer =
    input.primaryContainer !== undefined ? readContainer(input.primaryContainer) : base?.primaryContainer;
  // Express Mode's task defaults: 1 vCPU, 2 GB.
  const cpu = checkString('cpu', input.cpu) ?? base?.cpu ?? '1024';
  const memory = checkString('memory', input.memory) ?? base?.memory ?? '2048';
  if (!fargate[cpu]?.includes(Number(memory)))
    throw clientException(`No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory.`);
  const executionRoleArn = readRoleArn('executionRoleArn', input.executionRoleArn) ?? base?.executionRoleArn;
  const taskRoleArn = readRoleArn('taskRoleArn', input.taskRoleArn) ?? base?.taskRoleArn;
  // The task execution role pulls the image, writes logs and reads secrets: a primary container needs one.
  if (!executionRoleArn)
    throw invalidParameter('executionRoleArn is required when primaryContainer is specified.');
  const healthCheckPath =
    checkString('healthCheckPath', input.healthCheckPath) ?? base?.healthCheckPath ?? '/';
  if (!healthCheckPath.startsWith('/')) throw invalidParameter('healthCheckPath must start with /.');
  const network =
    checkObject('networkConfiguration', input.networkConfiguration) ?? base?.networkConfiguration;
  return {
    ...(executionRoleArn ? { executionRoleArn } : {}),
    ...(taskRoleArn ? { taskRoleArn } : {}),
    cpu,
    memory,
    cpuArchitecture:
      checkString('cpuArchitecture', input.cpuArchitecture, { enum: ['X86_64', 'ARM64'] }) ??
      base?.cpuArchitecture ??
      'X86_64',
    healthCheckPath,
    primaryContainer: primaryContainer as Json,
    scalingTarget: readScaling(input.scalingTarget) ??
      base?.scalingTarget ?? {
        minTaskCount: 1,
        maxTaskCount: 20,
        autoScalingMetric: 'AVERAGE_CPU',
        autoScalingTargetValue: 60,
      },
    ...(network ? { networkConfiguration: network } : {}),
  };
}
