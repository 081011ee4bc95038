/**
 * `sshHost()`: deploy to a server you own over SSH, with Docker or with systemd. One SSH connection
 * (key authentication, pinned host key) carries everything: commands, SFTP, and the Docker Engine
 * API tunnelled to the host's socket.
 */
import { hostname, userInfo } from 'node:os';
import type { Provider } from '@berth/core';
import { urlHostName, urlHostOf } from '../container-spec.js';
import { dockerTransport } from '../docker-transport.js';
import { defaultSecretsDir } from '../host-options.js';
import { hostProvider } from '../host-provider.js';
import { lazyImageBuilder, once } from '../lazy-image-builder.js';
import { type LocalSecretStore, localSecretStore } from '../local-secret-store.js';
import { INTERNAL_ROOT_CERTIFICATE } from '../proxy/caddy-config.js';
import { sshProxyFiles } from '../proxy/proxy-files.js';
import { proxySettingsOf } from '../proxy/proxy-options.js';
import { describeDockerOverSsh, dockerOverSsh } from './docker-over-ssh.js';
import { auditOf, pendingPhases, withAuditSettings, withHostAudit } from './host-audit.js';
import { runLocks } from './host-run-lock.js';
import { hostSecretFiles } from './host-secret-files.js';
import { parseListeningSockets, portTaken } from './proc-net.js';
import { sh } from './remote-command.js';
import { type SshConnection, type SshConnectionDeps, sshConnection } from './ssh-connection.js';
import { sshFetch } from './ssh-fetch.js';
import {
  parseSshHostOptions,
  type SshDockerOptions,
  type SshHostOptionsInput,
  type SshSystemdOptions,
} from './ssh-host-options.js';
import { systemdProvider } from './systemd-provider.js';

/** Ports of `sshHost()`, for tests. */
export interface SshHostDeps {
  /** An open-on-demand connection to use instead of one made from `options.ssh`. */
  connection?: SshConnection;
  connectionDeps?: SshConnectionDeps;
}

function defaultOperator(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `pid ${process.pid}@${hostname()}`;
  }
}

/** Whether nothing listens on `address:port` on the host (read from /proc/net). */
export function remotePortFree(connection: SshConnection) {
  return async (address: string, port: number): Promise<boolean> => {
    const text = (
      await connection.run(sh`cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; true`, {
        description: 'list listening ports',
      })
    ).stdout;
    return !portTaken(parseListeningSockets(text), address, port);
  };
}

const wildcard = new Set(['0.0.0.0', '::']);

/**
 * The `fetch` of an `sshHost()` provider: requests for the service's own URL host are made from the
 * server, through the connection, to `localAddress` (the service listens there whether or not its
 * port is open to this machine); other hosts are resolved on the server as given.
 */
function healthFetch(
  connection: SshConnection,
  urlHost: string,
  localAddress: string,
  ca?: () => Promise<string | undefined>,
) {
  const bare = urlHost.replace(/^\[|\]$/g, '');
  return sshFetch(connection, {
    connectTo: (name) => (name === bare ? localAddress : name),
    ...(ca ? { tls: { ca } } : {}),
  });
}

/**
 * `provider` with `fetch` added, still known to `sshHostHooks()` (which finds a provider's audit
 * settings by identity, so the new object must be registered too).
 */
function withFetch(
  provider: Provider,
  fetch: typeof globalThis.fetch,
  extra: Partial<Pick<Provider, 'ledger'>> = {},
): Provider {
  const audit = auditOf(provider);
  const withIt = { ...provider, fetch, ...extra };
  return audit ? withAuditSettings(withIt, audit) : withIt;
}

/**
 * The secret store of a host: `<baseDir>/<service>/secrets/` on the host itself (with the service's
 * convergence ledger), falling back to the operator's local store for values kept there before.
 */
function hostSecretStore(
  connection: SshConnection,
  baseDir: string,
  localDir: string,
  keepVersions: number,
): LocalSecretStore {
  return localSecretStore({
    directory: baseDir,
    directoryOf: (service) => `${baseDir}/${service}/secrets`,
    files: hostSecretFiles(connection),
    keepVersions,
    fallback: localSecretStore({ directory: localDir, keepVersions }),
  });
}

function dockerMethod(options: SshDockerOptions, connection: SshConnection, operator: string): Provider {
  const bind = options.host.bindAddress;
  // Published on every address of the server: its SSH host name is the one clients know.
  const urlHost = options.host.urlHost ?? (wildcard.has(bind) ? urlHostName(options.ssh.host) : undefined);
  const hostOptions = urlHost === undefined ? options.host : { ...options.host, urlHost };
  // dockerode and @berth/docker load on the first engine call: the systemd method never loads them.
  const docker = once(() => dockerOverSsh(connection, { socketPath: options.dockerSocketPath }));
  const dockerModule = once(() => import('@berth/docker'));
  const transport = {
    ...dockerTransport(docker, {
      description: describeDockerOverSsh(connection, options.dockerSocketPath),
      isPortFree: remotePortFree(connection),
    }),
    close: () => connection.close(),
  };
  const proxy = proxySettingsOf(options.host.proxy, `${options.baseDir}/proxy`);
  const proxyFiles = proxy ? sshProxyFiles(connection, proxy.directory) : undefined;
  const local = wildcard.has(bind) ? (bind === '::' ? '::1' : '127.0.0.1') : bind;
  // A domain's health checks go to the proxy on the host, trusting its internal CA explicitly.
  const domain = proxy?.domain;
  const ca =
    domain && proxyFiles
      ? proxy.tls === 'internal'
        ? () => proxyFiles.readData(INTERNAL_ROOT_CERTIFICATE)
        : async () => undefined
      : undefined;
  const fetchOnHost = healthFetch(connection, domain ?? urlHost ?? urlHostOf(bind), local, ca);
  const base = hostProvider({
    name: 'ssh-docker',
    transport,
    ...(proxy && proxyFiles ? { proxy: { settings: proxy, files: proxyFiles, fetch: fetchOnHost } } : {}),
    options: hostOptions,
    secrets: hostSecretStore(
      connection,
      options.baseDir,
      options.host.secretsDir,
      options.host.keepRevisions + 1,
    ),
    // Build on the host's engine through the tunnel: the context travels over SSH, nothing is pushed.
    imageBuilder: lazyImageBuilder(async () => {
      const [{ dockerImageBuilder }, client] = await Promise.all([dockerModule(), docker()]);
      return dockerImageBuilder({ docker: client });
    }),
  });
  const audited = withHostAudit(base, {
    connection,
    operator,
    lockTtlSeconds: options.lockTtlSeconds,
    baseDir: options.baseDir,
    pending: pendingPhases(),
    runLocks: runLocks(),
    // A missing folder or Dockerfile fails here, before the lock: nothing on the host changes.
    checkBuild: async (request) => {
      await (await dockerModule()).readBuildContext(request.context, request.dockerfile);
    },
  });
  return withFetch(audited, fetchOnHost);
}

function systemdMethod(options: SshSystemdOptions, connection: SshConnection, operator: string): Provider {
  const secrets = hostSecretStore(
    connection,
    options.baseDir,
    options.secretsDir ?? defaultSecretsDir(),
    options.keepReleases + 1,
  );
  const provider = systemdProvider({
    connection,
    options,
    operator,
    secrets,
  });
  // The convergence ledger lives on the host, beside the service's secrets.
  return withFetch(provider, healthFetch(connection, options.urlHost ?? options.ssh.host, '127.0.0.1'), {
    ledger: secrets.ledger,
  });
}

/**
 * Deploy to your own server over SSH.
 *
 * - `method: 'docker'`: each revision is a container on the host's Docker engine, built there
 *   from your folder (the Engine API runs through the SSH connection), as `localDocker()` does
 *   locally.
 * - `method: 'systemd'`: each revision is the unit `berth-<service>.service` running `start` from
 *   a release folder uploaded to `<baseDir>/<service>/releases/` (incrementally), after `install`.
 *
 * ```ts
 * const provider = sshHost({
 *   method: 'systemd',
 *   ssh: { host: 'vps.example.com', username: 'deploy', privateKeyPath: '~/.ssh/id_ed25519', hostKey: 'SHA256:…' },
 *   start: ['node', 'server.js'],
 *   install: 'npm ci --omit=dev',
 * });
 * ```
 * Validates its options before any I/O; connects on first use. Every change is made under a lock on
 * the host, which an engine run (`up`, `down`, `rollback`, `promote`) holds from its `lock` phase to
 * its end, and recorded in the host history (`<baseDir>/<service>/history.jsonl`) with its timed
 * phases; give the deployer `hooks: sshHostHooks(provider)` to record verify and register there
 * too. See docs/providers/ssh.md.
 */
export function sshHost(options: SshHostOptionsInput, deps: SshHostDeps = {}): Provider {
  const parsed = parseSshHostOptions(options);
  const connection = deps.connection ?? sshConnection(parsed.ssh, deps.connectionDeps);
  const operator = parsed.operator ?? defaultOperator();
  return parsed.method === 'docker'
    ? dockerMethod(parsed, connection, operator)
    : systemdMethod(parsed, connection, operator);
}
