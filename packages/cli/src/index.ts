/**
 * `@berth/cli`: the `berth` command line, and `defineConfig` for a type-checked `berth.config.ts`.
 * Everything it does goes through `@berth/core`'s public entries (`createDeployer`).
 */
export { buildProgram, CLI_VERSION, runCli } from './cli.js';
export type {
  BerthConfig,
  BerthConfigInput,
  SecretReference,
  ServiceConfig,
  TargetConfig,
} from './config/config-schema.js';
export { type LoadedConfig, loadConfig, validateConfig } from './config/load-config.js';
export { type ResolvedService, resolveService } from './config/resolve-service.js';
export { defineConfig } from './define-config.js';
export { EXIT, type ExitCode, exitCodeOf, exitCodeOfRun } from './run/exit-codes.js';
export type { CommandEnvironment, GlobalOptions } from './session.js';
