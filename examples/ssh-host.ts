/**
 * Deploy hello-agent to a server you own, over SSH, with Docker or with systemd.
 *
 *   BERTH_SSH_HOST=vps.example.com BERTH_SSH_USER=deploy BERTH_SSH_KEY=~/.ssh/id_ed25519 \
 *   BERTH_SSH_HOST_KEY=SHA256:… BERTH_SSH_METHOD=systemd pnpm exec tsx examples/ssh-host.ts
 *   … pnpm exec tsx examples/ssh-host.ts history     the host's deploy history (every operator's)
 *   … pnpm exec tsx examples/ssh-host.ts down        remove the service (the host history is kept)
 *
 * Environment: BERTH_SSH_HOST and BERTH_SSH_USER (required); BERTH_SSH_PORT (22); BERTH_SSH_KEY (a
 * private key file, else the ssh-agent of SSH_AUTH_SOCK); BERTH_SSH_HOST_KEY (the server's
 * `SHA256:…` fingerprint, from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on it; without it
 * ~/.ssh/known_hosts must list the server); BERTH_SSH_METHOD (`docker`, the default, or `systemd`);
 * BERTH_SSH_BASE_DIR (`/opt/berth`); BERTH_SSH_START (systemd: the start command, run by /bin/sh -c;
 * default `node server.mjs`); BERTH_PORT (8000); BERTH_BASE_IMAGE (docker: `node:24-slim`);
 * BERTH_REGISTER_URL (a service registry or webhook: POSTed the name, URL and revision once the
 * service is verified, and told on `down`).
 *
 * Every step lands in the history file on the host, timed: validation, transfer, build and start by
 * the provider, verify and register by the hooks of `sshHostHooks()`. The provider runs the health
 * checks from the host, through its SSH connection, so they reach the service on the host's loopback
 * even when its port is closed to the outside. tsx resolves `@berth/*` to the sources through
 * tsconfig.json, so no build is needed. docs/providers/ssh.md explains every option;
 * examples/ssh-host.integration.test.ts runs this file against both test hosts.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BerthEvent,
  createDeployer,
  type DeployResult,
  type DownResult,
  fileStateStore,
} from '@berth/core';
import {
  type HostHistoryEntry,
  hostLayout,
  readHostHistory,
  type SshConnectionInput,
  type SshHostOptionsInput,
  sshConnection,
  sshHost,
  sshHostHooks,
} from '@berth/provider-ssh';
import { printEvents, printResult } from './hello-agent/print-events.ts';
import { helloAgentSpec } from './hello-agent/spec.ts';

/** What the example can be told; `sshExampleOptionsFromEnv` reads it from the environment. */
export interface SshExampleOptions {
  /** How to reach and trust the server. */
  ssh: SshConnectionInput;
  /** `docker` (default): a container built on the host's engine; `systemd`: a unit from a release folder. */
  method?: 'docker' | 'systemd';
  /** Berth's folder on the host. Default `/opt/berth`. */
  baseDir?: string;
  /** systemd: the command that starts hello-agent in its release folder. Default `['node', 'server.mjs']`. */
  start?: string | string[];
  /** The service port. Default 8000. */
  port?: number;
  /** The service is `hello-agent-<environment>`. Default `dev`. */
  environment?: string;
  /** docker: base image of hello-agent's Dockerfile. Default `node:24-slim`. */
  baseImage?: string;
  /** docker: the engine's socket on the host. Default `/var/run/docker.sock`. */
  dockerSocketPath?: string;
  /** Where the generated secrets are kept on this machine. Default `~/.berth/secrets`. */
  secretsDir?: string;
  /** Where state and history are kept on this machine. Default `examples/.deployment`. */
  stateDir?: string;
  /** Where to register the service once verified (and deregister it on `down`). Default: nowhere. */
  registerUrl?: string;
  onEvent?: (event: BerthEvent) => void;
}

/** Read the example's options from environment variables (see the module comment). */
export function sshExampleOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SshExampleOptions {
  const host = env.BERTH_SSH_HOST;
  const username = env.BERTH_SSH_USER;
  if (!host || !username)
    throw new Error('Set BERTH_SSH_HOST and BERTH_SSH_USER to the server to deploy to.');
  const method = env.BERTH_SSH_METHOD ?? 'docker';
  if (method !== 'docker' && method !== 'systemd')
    throw new Error(`BERTH_SSH_METHOD must be docker or systemd, not ${JSON.stringify(method)}.`);
  return {
    ssh: {
      host,
      username,
      ...(env.BERTH_SSH_PORT ? { port: Number(env.BERTH_SSH_PORT) } : {}),
      // sshHost() and sshConnection() expand a leading `~` themselves.
      ...(env.BERTH_SSH_KEY ? { privateKeyPath: env.BERTH_SSH_KEY } : {}),
      ...(env.BERTH_SSH_HOST_KEY ? { hostKey: env.BERTH_SSH_HOST_KEY } : {}),
    },
    method,
    ...(env.BERTH_SSH_BASE_DIR ? { baseDir: env.BERTH_SSH_BASE_DIR } : {}),
    ...(env.BERTH_SSH_START ? { start: env.BERTH_SSH_START } : {}),
    ...(env.BERTH_PORT ? { port: Number(env.BERTH_PORT) } : {}),
    ...(env.BERTH_BASE_IMAGE ? { baseImage: env.BERTH_BASE_IMAGE } : {}),
    ...(env.BERTH_REGISTER_URL ? { registerUrl: env.BERTH_REGISTER_URL } : {}),
  };
}

function providerOptions(options: SshExampleOptions): SshHostOptionsInput {
  const common = {
    ssh: options.ssh,
    ...(options.baseDir ? { baseDir: options.baseDir } : {}),
    ...(options.secretsDir ? { secretsDir: options.secretsDir } : {}),
  };
  return options.method === 'systemd'
    ? { method: 'systemd', ...common, start: options.start ?? ['node', 'server.mjs'] }
    : {
        method: 'docker',
        ...common,
        ...(options.dockerSocketPath ? { dockerSocketPath: options.dockerSocketPath } : {}),
      };
}

function specOf(options: SshExampleOptions) {
  return helloAgentSpec({
    baseImage: options.baseImage ?? 'node:24-slim',
    ...(options.environment ? { environment: options.environment } : {}),
    ...(options.port ? { port: options.port } : {}),
  });
}

/** Deploy (or remove) hello-agent on the server and return Berth's result. */
export async function main(options: SshExampleOptions, command?: 'up'): Promise<DeployResult>;
export async function main(options: SshExampleOptions, command: 'down'): Promise<DownResult>;
export async function main(
  options: SshExampleOptions,
  command: 'up' | 'down' = 'up',
): Promise<DeployResult | DownResult> {
  // The provider opens one SSH connection on first use and runs the health checks through it too.
  const provider = sshHost(providerOptions(options));
  const deployer = createDeployer({
    // No `imageBuilder` here: sshHost() brings its own (the host's engine, or release folders), and
    // a deployer's builder would win over it.
    provider,
    hooks: sshHostHooks(provider, options.registerUrl ? { register: { url: options.registerUrl } } : {}),
    state: fileStateStore({
      dir: options.stateDir ?? fileURLToPath(new URL('./.deployment', import.meta.url)),
    }),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  try {
    return command === 'down' ? await deployer.down(specOf(options)) : await deployer.up(specOf(options));
  } finally {
    await deployer.close();
  }
}

/** The last entries of the service's history on the host, written by every operator who deployed it. */
export async function hostHistory(options: SshExampleOptions, limit = 10): Promise<HostHistoryEntry[]> {
  const connection = sshConnection(options.ssh);
  try {
    const service = `hello-agent-${options.environment ?? 'dev'}`;
    return await readHostHistory(connection, hostLayout(options.baseDir ?? '/opt/berth', service), limit);
  } finally {
    await connection.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const command = process.argv[2] ?? 'up';
  const options = sshExampleOptionsFromEnv();
  if (command === 'history') {
    for (const entry of await hostHistory(options))
      console.log(
        `${entry.at}  ${entry.operation.padEnd(7)} ${entry.status.padEnd(9)} ${entry.revision ?? ''}  by ${entry.operator}${entry.error ? `  ${entry.error.code}` : ''}`,
      );
  } else if (command === 'up') {
    const result = await main({ ...options, onEvent: printEvents() });
    printResult(result);
    process.exitCode = result.status === 'succeeded' || result.status === 'noop' ? 0 : 1;
  } else if (command === 'down') {
    const result = await main(options, 'down');
    console.log(JSON.stringify(result, null, 2));
    process.exitCode = result.status === 'failed' ? 1 : 0;
  } else {
    console.error(`unknown command ${command}; use up, history or down`);
    process.exitCode = 2;
  }
}
