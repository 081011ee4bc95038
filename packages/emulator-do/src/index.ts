/**
 * `@berth/emulator-do`: a local, wire-faithful emulator of DigitalOcean App Platform and the
 * Container Registry (plus `GET /v2/account`), whose deployments run as real containers on the
 * local Docker engine, reached by `dots-wrapper` through `createApiClient({ token, endpoint })`.
 */
// The shared container runtime, for a custom `runtime` option or wire tests without Docker.
export {
  type ContainerInstance,
  type ContainerLaunch,
  type ContainerRuntime,
  dockerRuntime,
  inProcessRuntime,
} from '@berth/emulator-runtime';
export type { EmulatedAccount } from './account/account-api.js';
export type { DeploymentPhase } from './apps/app-records.js';
export type {
  AppHealthCheck,
  AppImageSource,
  AppServiceSpec,
  AppSpec,
  AppVariableDefinition,
} from './apps/app-spec.js';
export { appRegions, instanceSizes } from './apps/app-spec.js';
export type { ProgressStep, StepStatus } from './apps/deployment-progress.js';
export type { RollbackCondition } from './apps/rollback-conditions.js';
export { findSpecProblem } from './apps/validate-app-spec.js';
export type { CallFault, DeploymentFault } from './faults.js';
export { FaultController } from './faults.js';
export type { RateLimitSettings } from './protocol/rate-limit.js';
export type { CallRecord } from './protocol/router.js';
export type { LocalRegistry } from './registry/registry-api.js';
export { type DoEmulator, type DoEmulatorOptions, startDoEmulator } from './start-do-emulator.js';
