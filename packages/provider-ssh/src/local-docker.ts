import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ImageBuilder, Provider } from '@berth/core';
import type Docker from 'dockerode';
import { dockerTransport } from './docker-transport.js';
import { type HostOptionsInput, parseHostOptions } from './host-options.js';
import { hostProvider } from './host-provider.js';
import { once } from './lazy-image-builder.js';
import { localSecretStore } from './local-secret-store.js';
import { localTargetLock } from './local-target-lock.js';
import { localProxyFiles } from './proxy/proxy-files.js';
import { proxySettingsOf } from './proxy/proxy-options.js';

/** Options of `localDocker()`: the host options, plus how to reach the engine. */
export interface LocalDockerOptions extends HostOptionsInput {
  /**
   * A Dockerode client. Default: `dockerEngine(dockerOptions)` from `@berth/docker`, which honours
   * DOCKER_HOST and loads dockerode only when a deploy needs more than reading the engine.
   */
  docker?: Docker;
  /** Connection options for the default client, e.g. `{ socketPath: '/var/run/docker.sock' }`. */
  dockerOptions?: Docker.DockerOptions;
  /** An image builder running on this engine (e.g. `dockerImageBuilder()`); the deployer's wins. */
  imageBuilder?: ImageBuilder;
}

function describeEngine(options: Docker.DockerOptions | undefined): string {
  if (options?.socketPath) return `local Docker engine (unix://${options.socketPath})`;
  if (options?.host)
    return `Docker engine (${options.protocol ?? 'http'}://${options.host}:${options.port ?? 2375})`;
  return `local Docker engine (${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'})`;
}

/**
 * Deploy to the Docker engine of this machine: each revision is a container named
 * `berth-<service>-<revision>`, published on 127.0.0.1, with earlier revisions kept stopped for
 * rollback and secrets in a local store (`~/.berth/secrets/<service>/`), which also keeps the
 * service's convergence ledger (`ledger.json`) and its lock (`.locks/<service>.json`).
 *
 * ```ts
 * const deployer = createDeployer({ provider: localDocker({ hostPort: 8080 }) });
 * ```
 *
 * With `proxy: true`, a Berth-managed Caddy container owns the service port and each revision runs
 * on its own loopback port: updates are verified before they take traffic, with no downtime.
 */
export function localDocker(options: LocalDockerOptions = {}): Provider {
  const { docker, dockerOptions, imageBuilder, ...hostInput } = options;
  const parsed = parseHostOptions(hostInput, 'localDocker');
  // The engine client loads on the first engine call, not when this package is imported; its reads of
  // an unchanged redeploy go straight to the Engine API (dockerode loads only for the rest).
  const client = docker ?? (async () => (await import('@berth/docker')).dockerEngine(dockerOptions));
  const transport = dockerTransport(client, {
    description: describeEngine(dockerOptions),
  });
  const proxy = proxySettingsOf(parsed.proxy, join(homedir(), '.berth', 'proxy'));
  return hostProvider({
    name: 'local-docker',
    ...(proxy ? { proxy: { settings: proxy, files: localProxyFiles(proxy.directory) } } : {}),
    transport,
    options: parsed,
    secrets: localSecretStore({ directory: parsed.secretsDir, keepVersions: parsed.keepRevisions + 1 }),
    // Two clones or two state stores on this machine share this lock, kept in the local store.
    lock: (context, target, run) =>
      localTargetLock(
        { directory: parsed.secretsDir, warn: (message) => context.log('warn', message) },
        target,
        run,
      ),
    ...(imageBuilder ? { imageBuilder } : {}),
    // An image built on this engine runs before its push to `registry` ends (docs/providers/local-docker.md).
    runsOn: once(async () => {
      const { describeDockerEngine, dockerEngine } = await import('@berth/docker');
      return describeDockerEngine(docker ?? dockerEngine(dockerOptions));
    }),
  });
}
