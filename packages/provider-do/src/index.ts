/**
 * `@berth/provider-do`: deploy to DigitalOcean App Platform (`appPlatform()`) with images in
 * DigitalOcean Container Registry, through dots-wrapper. The local emulator is `@berth/emulator-do`.
 */
export type {
  AppPlatformInjected,
  AppPlatformOptions,
  AppPlatformRegion,
} from './app-platform-options.js';
export { appPlatform } from './app-platform-provider.js';
export type { DoApi } from './do-api.js';
