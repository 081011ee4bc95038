/**
 * `@berth/provider-gcp`: deploy to Google Cloud Run with Secret Manager and Artifact Registry.
 * The local emulator is its own package, `@berth/emulator-gcp`.
 */
export type { CloudRunOptions } from './cloud-run-options.js';
export { cloudRun } from './cloud-run-provider.js';
export type { GcpClients } from './gcp-clients.js';
