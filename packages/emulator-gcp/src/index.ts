/**
 * `@berth/emulator-gcp`: a local, wire-faithful Cloud Run Admin API v2, Secret Manager v1 and
 * Artifact Registry v1 whose revisions run as real containers on the local Docker engine.
 */

// The shared container runtime (`@berth/emulator-runtime`), for a custom `runtime` option or tests without Docker.
export {
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  ContainerStartError,
  type DockerRuntimeOptions,
  dockerRuntime,
  inProcessRuntime,
  type RegistryLogin,
} from '@berth/emulator-runtime';
export type { CallFault, RevisionFault, RevisionFaultMode } from './faults.js';
export { FaultController } from './faults.js';
export type { CallRecord } from './rpc/dispatch.js';
export type { ApiName } from './rpc/proto-registry.js';
export type { StatusName } from './rpc/status-codes.js';
export { type GcpEmulator, type GcpEmulatorOptions, startGcpEmulator } from './start-gcp-emulator.js';
export { staticTokenAuthClient } from './static-token-auth-client.js';
