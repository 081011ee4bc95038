/**
 * `@berth/provider-gcp/emulator`: a local, wire-faithful Cloud Run Admin API v2, Secret Manager v1 and
 * Artifact Registry v1 whose revisions run as real containers on the local Docker engine.
 */
export type { CallFault, RevisionFault, RevisionFaultMode } from './faults.js';
export { FaultController } from './faults.js';
export type { CallRecord } from './rpc/dispatch.js';
export type { ApiName } from './rpc/proto-registry.js';
export type { StatusName } from './rpc/status-codes.js';
export { type DockerRuntimeOptions, dockerRuntime, type RegistryLogin } from './runtime/docker-runtime.js';
export type { RevisionInstance, RevisionLaunch, RevisionRuntime } from './runtime/revision-runtime.js';
export { RevisionStartError } from './runtime/revision-runtime.js';
export { type GcpEmulator, type GcpEmulatorOptions, startGcpEmulator } from './start-gcp-emulator.js';
export { staticTokenAuthClient } from './static-token-auth-client.js';
