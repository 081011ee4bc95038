/**
 * `@berth/provider-gcp`: deploy to Google Cloud Run with Secret Manager and Artifact Registry.
 * The local emulator is its own package, `@berth/emulator-gcp`.
 */
export { allTrafficTo, buildEnv, buildService, buildTraffic } from './build-service-request.js';
export { type CloudRunOptions, cloudRunOptionsSchema } from './cloud-run-options.js';
export { cloudRun } from './cloud-run-provider.js';
export { createGcpClients, type GcpClients } from './gcp-clients.js';
export { grpcCodeOf, isTransientGcpError, mapGcpError } from './map-gcp-error.js';
export { readObservedService } from './read-observed-service.js';
