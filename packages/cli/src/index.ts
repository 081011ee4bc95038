/**
 * `@berth/cli`: the `berth` command line, and `defineConfig` for a type-checked `berth.config.ts`.
 * Everything it does goes through `@berth/core`'s public API (`createDeployer`).
 */
export { buildProgram, CLI_VERSION, runCli } from './cli.js';
export { configReferenceMarkdown } from './config/config-docs.js';
export {
  type BerthConfig,
  type BerthConfigInput,
  berthConfigSchema,
  type SecretReference,
  type ServiceConfig,
  type TargetConfig,
} from './config/config-schema.js';
export { type LoadedConfig, loadConfig, validateConfig } from './config/load-config.js';
export { type ResolvedService, resolveService } from './config/resolve-service.js';
export { type StateKind, stateKinds } from './config/state-kinds.js';
export { type TargetKind, targetKinds } from './config/target-kinds.js';
export { defineConfig } from './define-config.js';
export { EXIT, type ExitCode, exitCodeOf, exitCodeOfRun } from './run/exit-codes.js';
export type { CommandEnvironment, GlobalOptions } from './session.js';
