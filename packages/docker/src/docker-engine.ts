import type { PreflightCheck } from '@berth/core';
import type Dockerode from 'dockerode';
import { engineAddress, lazyDockerEngine } from './lazy-docker-engine.js';
import { dockerUnavailableError, isDockerUnavailable } from './map-docker-error.js';

/** Where the Docker engine listens. Default: `DOCKER_HOST`, else `/var/run/docker.sock`. */
export type DockerEngineOptions = Dockerode.DockerOptions;

/**
 * A Docker Engine API client (dockerode). With no options it follows `DOCKER_HOST` (`unix://`,
 * `tcp://`, `ssh://`, with `DOCKER_TLS_VERIFY`/`DOCKER_CERT_PATH`) and falls back to the local socket.
 * dockerode itself is loaded on first need; on the local socket, the read-only calls of an unchanged
 * redeploy do not need it (see `lazyDockerEngine`).
 */
export function dockerEngine(options?: DockerEngineOptions): Dockerode {
  return lazyDockerEngine(options);
}

/** A human-readable address of the engine a client talks to, e.g. `unix:///var/run/docker.sock`. */
export function describeDockerEngine(docker: Dockerode): string {
  const address = (docker as unknown as Record<symbol, unknown>)[engineAddress];
  if (typeof address === 'string') return address;
  const modem = (
    docker as { modem?: { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown } }
  ).modem;
  if (typeof modem?.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (typeof modem?.host === 'string') {
    const port = modem.port === undefined || modem.port === '' ? '' : `:${String(modem.port)}`;
    return `${typeof modem.protocol === 'string' ? modem.protocol : 'http'}://${modem.host}${port}`;
  }
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/** Ping the engine (`GET /_ping`) and report it as the `docker-engine` preflight check. */
export async function checkDockerEngine(docker: Dockerode): Promise<PreflightCheck> {
  const engine = describeDockerEngine(docker);
  try {
    // Only a ping: `GET /version` makes the engine ask containerd and run runc and docker-init for
    // their versions, several milliseconds on every deploy for a message nobody acts on.
    await docker.ping();
    return { name: 'docker-engine', ok: true, message: `Docker engine at ${engine} is reachable.` };
  } catch (error) {
    const mapped = isDockerUnavailable(error)
      ? dockerUnavailableError(engine, error)
      : dockerUnavailableError(engine);
    return {
      name: 'docker-engine',
      ok: false,
      message: isDockerUnavailable(error)
        ? mapped.message
        : `The Docker engine at ${engine} did not answer its ping: ${error instanceof Error ? error.message : String(error)}`,
      hint: mapped.hint,
    };
  }
}
