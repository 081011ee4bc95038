/**
 * `@berth/emulator-aws`: a local, wire-faithful emulator of AWS App Runner, ECS Express Mode, ECR,
 * Secrets Manager and STS `GetCallerIdentity`, whose services run as real containers on the local
 * Docker engine, reached by the official AWS SDK v3 clients through `endpoint`.
 */
export { ecrHost, toLocalImage } from './ecr/ecr-api.js';
export type { LocalRegistry } from './ecr/local-registry.js';
export type { CallFault, VersionFault, VersionFaultMode } from './faults.js';
export { FaultController } from './faults.js';
export type { CallRecord } from './protocol/dispatch.js';
export { signedHeaders } from './protocol/sigv4.js';
export type { ContainerInstance, ContainerLaunch, ContainerRuntime } from './runtime/container-runtime.js';
export { ContainerStartError } from './runtime/container-runtime.js';
export { type DockerRuntimeOptions, dockerRuntime, type RegistryLogin } from './runtime/docker-runtime.js';
export {
  type AwsClientConfig,
  type AwsEmulator,
  type AwsEmulatorOptions,
  startAwsEmulator,
} from './start-aws-emulator.js';
