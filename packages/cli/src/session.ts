/**
 * What every command that touches services opens: the validated config, the selected services in
 * dependency order, one provider per target, the state store, the output and the run's log file.
 */
import { join } from 'node:path';
import { type BerthError, createDeployer, type Deployer, type Provider, type StateStore } from '@berth/core';
import { Redactor } from '@berth/core/plugin-kit';
import { dockerImageBuilder } from '@berth/docker';
import { buildProvider, buildStateStore } from './config/build-target.js';
import { configError } from './config/config-error.js';
import { type LoadedConfig, loadConfig } from './config/load-config.js';
import { type ResolvedService, resolveService } from './config/resolve-service.js';
import { createReporter, type Reporter } from './output/reporter.js';
import { openRunLog, type RunLog } from './output/run-log.js';
import { type Io, type OutputMode, outputMode } from './output/terminal.js';
import { parseDuration } from './parse-duration.js';
import { forcedExitLines } from './run/forced-exit.js';
import { serviceOrder } from './run/service-graph.js';

/** Flags every command accepts. */
export interface GlobalOptions {
  config?: string;
  env?: string;
  service: string[];
  json: boolean;
  yes: boolean;
  /** False with `--no-rollback`. */
  rollback: boolean;
  timeout?: string;
  verbose: boolean;
  concurrency?: number;
}

/** Things a command gets from the process (injected so tests can run commands in-process). */
export interface CommandEnvironment {
  io: Io;
  signal: AbortSignal;
  /** The module `@berth/cli` resolves to inside berth.config.ts. */
  selfModule?: string;
  /**
   * Called synchronously when a second Ctrl-C forces the exit (no safe point reached): each open
   * session stops its output, notes it in the run log and returns what to tell the user.
   */
  forcedExit?: Set<() => string[]>;
}

export interface Session {
  loaded: LoadedConfig;
  environment: string;
  /** Selected services, dependencies first. */
  services: ResolvedService[];
  mode: OutputMode;
  redactor: Redactor;
  reporter: Reporter;
  log?: RunLog;
  timeoutMs?: number;
  concurrency: number;
  deployerFor(service: ResolvedService): Promise<Deployer>;
  providerFor(targetName: string): Promise<Provider>;
  state(): Promise<StateStore>;
  close(): Promise<void>;
}

const label = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** Open a session. `local` deploys every service to the `local` target (the local Docker engine). */
export async function openSession(
  environment: CommandEnvironment,
  options: GlobalOptions,
  command: string,
  extra: {
    local?: boolean;
    writeLog?: boolean;
    environment?: string;
    /** Read-only commands print their own objects: the engine's events go to the log file only. */
    eventsToLogOnly?: boolean;
  } = {},
): Promise<Session> {
  const { io } = environment;
  const loaded = await loadConfig({
    cwd: io.cwd,
    ...(options.config ? { file: options.config } : {}),
    ...(environment.selfModule ? { selfModule: environment.selfModule } : {}),
  });
  const { config, file, dir } = loaded;
  const env = extra.environment ?? options.env ?? (extra.local ? 'local' : config.defaults.environment);
  if (!label.test(env) || env.length > 14)
    throw configError('--env', [
      {
        path: '--env',
        message: `"${env}" is not an environment label`,
        hint: 'Use a short lowercase label such as dev, staging or prod.',
      },
    ]);
  const unknown = options.service.filter((name) => !(name in config.services));
  if (unknown.length > 0)
    throw configError(file, [
      {
        path: '--service',
        message: `${unknown.map((name) => `"${name}"`).join(', ')} not in services`,
        hint: `Use one of ${Object.keys(config.services)
          .map((name) => `"${name}"`)
          .join(', ')}.`,
      },
    ]);
  const timeoutMs = options.timeout === undefined ? undefined : parseDuration(options.timeout);
  const services = serviceOrder(config, options.service).map((key) => {
    const resolved = resolveService(config, key, env, dir);
    if (extra.local) resolved.targetName = 'local';
    if (!options.rollback) resolved.spec = { ...resolved.spec, rollback: 'never' };
    return resolved;
  });
  const redactor = new Redactor();
  const mode = outputMode(io, options.json);
  const log =
    extra.writeLog === false ? undefined : openRunLog(join(dir, '.deployment', 'logs'), command, redactor);
  log?.write({
    command,
    environment: env,
    services: services.map((service) => service.service),
    config: file,
  });
  const reporter = createReporter({ io, mode, redactor, verbose: options.verbose, ...(log ? { log } : {}) });
  // Through the reporter, so that the live view prints it above itself instead of drawing over it.
  environment.signal.addEventListener(
    'abort',
    () => reporter.info('berth: stopping at the next safe point (Ctrl-C again to force)…'),
    { once: true },
  );
  const onForcedExit = () => {
    reporter.close();
    log?.write({ forced: true, message: 'forced exit (second interrupt) before a safe point' });
    return forcedExitLines(
      services.map((service) => service.service),
      {
        ...(log ? { logPath: log.path } : {}),
        // Read-only commands (plan, status, history, doctor) print their own objects.
        readOnly: extra.eventsToLogOnly === true,
      },
    );
  };
  environment.forcedExit?.add(onForcedExit);
  const context = { file, dir, env: io.env, onSecret: (value: string) => redactor.add(value) };
  const providers = new Map<string, Promise<Provider>>();
  let store: Promise<StateStore> | undefined;
  const providerFor = (name: string) => {
    let provider = providers.get(name);
    if (!provider) {
      provider = buildProvider(config, name, context);
      providers.set(name, provider);
    }
    return provider;
  };
  const state = () => {
    store ??= buildStateStore(config, context);
    return store;
  };
  // Every target and the state store are built before anything runs: a bad option is exit 2, untouched.
  try {
    for (const service of services) await providerFor(service.targetName);
    await state();
  } catch (error) {
    reporter.close();
    environment.forcedExit?.delete(onForcedExit);
    throw error;
  }
  return {
    loaded,
    environment: env,
    services,
    mode,
    redactor,
    reporter,
    ...(log ? { log } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    concurrency: options.concurrency ?? config.defaults.concurrency,
    providerFor,
    state,
    async deployerFor(service) {
      const provider = await providerFor(service.targetName);
      return createDeployer({
        provider,
        state: await state(),
        onEvent: (event) => (extra.eventsToLogOnly ? log?.write({ event }) : reporter.event(event)),
        hooks: service.hooks,
        // A provider with its own builder (a remote engine) builds there; the deployer's would win.
        ...(provider.imageBuilder ? {} : { imageBuilder: dockerImageBuilder() }),
      });
    },
    async close() {
      environment.forcedExit?.delete(onForcedExit);
      reporter.close();
      for (const provider of providers.values())
        await provider.then((value) => value.close?.()).catch(() => {});
      // A team store holds a connection pool (PostgreSQL) that must not outlive the command.
      await store
        ?.then((value) => (value as StateStore & { close?: () => Promise<void> }).close?.())
        .catch(() => {});
    },
  };
}

/** A usage error (exit 2) that names the flag and the fix. */
export function usageError(flag: string, message: string, hint: string): BerthError {
  return configError(flag, [{ path: flag, message, hint }]);
}
