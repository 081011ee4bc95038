import type { BerthConfigInput } from './config/config-schema.js';

/**
 * Type-check a `berth.config.ts`. It returns the config unchanged; `berth` validates it when it loads.
 *
 * ```ts
 * import { defineConfig } from '@berth/cli';
 * export default defineConfig({ services: { api: { spec: { image: { build: { context: '.' } } } } } });
 * ```
 */
export function defineConfig(config: BerthConfigInput): BerthConfigInput {
  return config;
}
