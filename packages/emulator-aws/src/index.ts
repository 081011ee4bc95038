/**
 * `@berth/emulator-aws`: a local, wire-faithful emulator of AWS App Runner, ECS Express Mode, ECR,
 * Secrets Manager and STS `GetCallerIdentity`, whose services run as real containers on the local
 * Docker engine, reached by the official AWS SDK v3 clients through `endpoint`.
 */

// The shared container runtime (`@berth/emulator-runtime`), for a custom `runtime` option.
export {
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  ContainerStartError,
  type DockerRuntimeOptions,
  dockerRuntime,
  type RegistryLogin,
} from '@berth/emulator-runtime';
export { ecrHost, toLocalImage } from './ecr/ecr-api.js';
export type { LocalRegistry } from './ecr/local-registry.js';
export type { CallFault, VersionFault, VersionFaultMode } from './faults.js';
export { FaultController } from './faults.js';
export type { CallRecord } from './protocol/dispatch.js';
export { signedHeaders } from './protocol/sigv4.js';
export {
  type AwsClientConfig,
  type AwsEmulator,
  type AwsEmulatorOptions,
  startAwsEmulator,
} from './start-aws-emulator.js';
