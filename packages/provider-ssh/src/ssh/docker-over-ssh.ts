/**
 * A Dockerode client for the Docker engine of an SSH host. Its HTTP requests travel through our
 * own SSH connection to the host's Docker socket (OpenSSH `streamlocal` forwarding), so they get
 * the same key authentication and host key pinning as everything else.
 *
 * Why not docker-modem's built-in `protocol: 'ssh'`: it opens a new SSH connection per request,
 * needs the docker CLI on the host (`docker system dial-stdio`) and checks no host key.
 */
import { BerthError } from '@berth/core';
import type Docker from 'dockerode';
import { channelAgent } from './channel-agent.js';
import type { SshConnection } from './ssh-connection.js';

/** Options of `dockerOverSsh`. */
export interface DockerOverSshOptions {
  /** The engine's socket on the host. Default `/var/run/docker.sock`. */
  socketPath?: string;
}

/**
 * Dockerode talking to the host's engine over `connection`. Async because dockerode is loaded only
 * here, when it is first needed (importing this package does not load it).
 */
export async function dockerOverSsh(
  connection: SshConnection,
  options: DockerOverSshOptions = {},
): Promise<Docker> {
  const socketPath = options.socketPath ?? '/var/run/docker.sock';
  const agent = channelAgent(async () => {
    try {
      return await connection.openUnixSocket(socketPath);
    } catch (error) {
      // A connection problem keeps its own code; a refused channel means the socket is not usable.
      if (BerthError.isInstance(error) && error.code !== 'SSH_COMMAND_FAILED') throw error;
      throw new BerthError(
        'DOCKER_UNAVAILABLE',
        `Cannot open the Docker socket ${socketPath} on ${connection.target}.`,
        {
          hint: `Start Docker on the host, and let ${connection.target.split('@')[0]} use the socket (e.g. add the user to the docker group).`,
          cause: error,
          details: { target: connection.target, socketPath },
        },
      );
    }
  });
  // docker-modem passes `agent` to every request (its types omit it). The host name only fills
  // the Host header; the agent decides where the bytes go.
  const dockerOptions: Docker.DockerOptions & { agent: typeof agent } = {
    protocol: 'http',
    host: 'docker',
    port: 2375,
    agent,
  };
  const { default: Dockerode } = await import('dockerode');
  return new Dockerode(dockerOptions);
}

/** `unix://…` over `ssh://user@host:port`, for messages. */
export function describeDockerOverSsh(
  connection: SshConnection,
  socketPath = '/var/run/docker.sock',
): string {
  return `Docker engine (unix://${socketPath}) on ${connection.target} over SSH`;
}
