/**
 * `@berth/provider-do`: deploy to DigitalOcean App Platform (`appPlatform()`) with images in
 * DigitalOcean Container Registry, through dots-wrapper. The local emulator is `@berth/emulator-do`.
 */
export { appNamePattern, isAppName } from './app-names.js';
export {
  type AppPlatformInjected,
  type AppPlatformOptions,
  appPlatformOptionsSchema,
  appPlatformRegions,
} from './app-platform-options.js';
export { appPlatform } from './app-platform-provider.js';
export { buildAppSpec, buildHealthCheck, imageSourceOf } from './build-app-spec.js';
export { createDoApi, type DoApi } from './do-api.js';
export type { App, AppDeployment, AppSpec, DoRawApi } from './do-raw-api.js';
export { instanceSizeFor, instanceSizes } from './instance-sizes.js';
export { isTransientDoError, mapDoError, retryAfterMs } from './map-do-error.js';
export { readApp } from './read-app.js';
export { validateAppPlatformSpec } from './validate-app-platform-spec.js';
