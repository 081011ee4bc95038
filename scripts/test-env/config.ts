/**
 * Every path, port and name the test environment uses, read once from the environment variables
 * (docs/test-environment.md lists them). Pure: `loadConfig(process.env, repoRoot)`.
 */
import { join } from 'node:path';
import { TestEnvError } from './log.ts';

export interface TestEnvConfig {
  readonly repoRoot: string;
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly logDir: string;
  readonly envFile: string;
  readonly lockFile: string;
  readonly docker: {
    readonly socketPath: string;
    readonly pidFile: string;
    readonly log: string;
    readonly daemonJson: string;
    readonly storageDriverFallbacks: readonly string[];
    readonly forcedStorageDriver: string | undefined;
    readonly verifiedMarker: string;
  };
  readonly registry: {
    readonly port: number;
    readonly host: string;
    readonly user: string;
    readonly dir: string;
    readonly config: string;
    readonly data: string;
    readonly htpasswd: string;
    readonly passwordFile: string;
    readonly secretFile: string;
    readonly pidFile: string;
    readonly log: string;
    readonly selfCheckRepo: string;
  };
  readonly images: {
    readonly busybox: string;
    readonly node: string;
    readonly healthService: string;
    readonly caddy: string;
    readonly systemdHost: string;
    readonly healthServiceDir: string;
    /** Every image built here carries the hash of its sources under this label. */
    readonly hashLabel: string;
    readonly nodeDir: string;
    readonly nodeBinary: string | undefined;
  };
  readonly ssh: {
    readonly dir: string;
    readonly clientDir: string;
    readonly clientKey: string;
    readonly knownHosts: string;
  };
  readonly sshd: {
    readonly port: number;
    readonly user: string;
    readonly baseDir: string;
    readonly dir: string;
    readonly config: string;
    readonly hostKey: string;
    readonly authorizedKeys: string;
    readonly pidFile: string;
    readonly log: string;
  };
  readonly systemdHost: {
    readonly port: number;
    readonly dir: string;
    readonly hostKey: string;
    readonly suite: string;
    readonly include: string;
    readonly container: string;
    readonly debianMirror: string | undefined;
    readonly nodePath: string;
    readonly caddyPath: string;
  };
  readonly postgres: {
    readonly bin: string;
    readonly port: number;
    readonly dir: string;
    readonly data: string;
    readonly passwordFile: string;
    readonly log: string;
    readonly user: string;
    readonly database: string;
  };
  readonly s3: {
    readonly port: number;
    readonly endpoint: string;
    readonly dir: string;
    readonly pidFile: string;
    readonly log: string;
    readonly selfCheckBucket: string;
  };
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Reads the configuration; unset or empty variables take the defaults. */
export function loadConfig(env: Environment, repoRoot: string, home = env.HOME ?? '/root'): TestEnvConfig {
  const get = (name: string): string | undefined =>
    env[name] === undefined || env[name] === '' ? undefined : env[name];
  const port = (name: string, fallback: number): number => {
    const value = get(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
      throw new TestEnvError(`${name}=${value} is not a TCP port (1-65535)`);
    }
    return parsed;
  };
  const stateDir = get('BERTH_TEST_ENV_STATE_DIR') ?? '/var/lib/berth-test-env';
  const cacheDir = get('BERTH_TEST_ENV_CACHE_DIR') ?? '/var/cache/berth-test-env';
  const logDir = get('BERTH_TEST_ENV_LOG_DIR') ?? '/var/log';
  const namespace = get('BERTH_TEST_ENV_IMAGE_NAMESPACE') ?? 'berth';
  const registryPort = port('BERTH_REGISTRY_PORT', 5000);
  const registryDir = join(stateDir, 'registry');
  const sshDir = join(stateDir, 'ssh');
  const sshdDir = join(sshDir, 'sshd');
  const systemdHostDir = join(sshDir, 'systemd-host');
  const postgresDir = join(stateDir, 'postgres');
  const s3Port = port('BERTH_S3_PORT', 55433);
  const s3Dir = join(stateDir, 's3');
  return {
    repoRoot,
    stateDir,
    cacheDir,
    logDir,
    envFile: get('BERTH_TEST_ENV_FILE') ?? join(repoRoot, '.berth-test-env.json'),
    lockFile: get('BERTH_TEST_ENV_LOCK_FILE') ?? '/run/lock/berth-test-env.lock',
    docker: {
      socketPath: '/var/run/docker.sock',
      pidFile: '/var/run/docker.pid',
      log: join(logDir, 'berth-dockerd.log'),
      daemonJson: '/etc/docker/daemon.json',
      storageDriverFallbacks: (get('BERTH_DOCKER_STORAGE_DRIVERS') ?? 'overlay2 fuse-overlayfs vfs')
        .split(/\s+/)
        .filter((driver) => driver !== ''),
      forcedStorageDriver: get('BERTH_DOCKER_STORAGE_DRIVER'),
      verifiedMarker: join(stateDir, 'docker-verified'),
    },
    registry: {
      port: registryPort,
      host: `127.0.0.1:${registryPort}`,
      user: 'berth',
      dir: registryDir,
      config: join(registryDir, 'config.yml'),
      data: join(registryDir, 'data'),
      htpasswd: join(registryDir, 'htpasswd'),
      passwordFile: join(registryDir, 'password'),
      secretFile: join(registryDir, 'http-secret'),
      pidFile: join(registryDir, 'registry.pid'),
      log: join(logDir, 'berth-registry.log'),
      selfCheckRepo: 'berth-test-env/self-check',
    },
    images: {
      busybox: `${namespace}/busybox:test`,
      node: `${namespace}/node:24`,
      healthService: `${namespace}/health-service:test`,
      caddy: `${namespace}/caddy:2.6`,
      systemdHost: `${namespace}/systemd-host:bookworm`,
      healthServiceDir: join(repoRoot, 'test-support/fixtures/health-service'),
      hashLabel: 'dev.berth.test-env.source-hash',
      nodeDir: get('BERTH_NODE_DIR') ?? join(home, '.berth/node-24'),
      nodeBinary: get('BERTH_NODE_BINARY'),
    },
    ssh: {
      dir: sshDir,
      clientDir: join(sshDir, 'client'),
      clientKey: join(sshDir, 'client/id_ed25519'),
      knownHosts: join(sshDir, 'known_hosts'),
    },
    sshd: {
      port: port('BERTH_SSHD_PORT', 2222),
      user: 'berth',
      baseDir: '/opt/berth',
      dir: sshdDir,
      config: join(sshdDir, 'sshd_config'),
      hostKey: join(sshdDir, 'ssh_host_ed25519_key'),
      authorizedKeys: join(sshdDir, 'authorized_keys'),
      pidFile: join(sshdDir, 'sshd.pid'),
      log: join(logDir, 'berth-sshd.log'),
    },
    systemdHost: {
      port: port('BERTH_SYSTEMD_HOST_SSH_PORT', 2223),
      dir: systemdHostDir,
      hostKey: join(systemdHostDir, 'ssh_host_ed25519_key'),
      suite: 'bookworm',
      include: 'systemd,systemd-sysv,openssh-server,dbus',
      container: get('BERTH_SYSTEMD_HOST_CONTAINER') ?? 'berth-test-systemd-host',
      debianMirror: get('BERTH_DEBIAN_MIRROR'),
      nodePath: '/usr/local/bin/node',
      caddyPath: '/usr/bin/caddy',
    },
    postgres: {
      bin: '/usr/lib/postgresql/15/bin',
      port: port('BERTH_POSTGRES_PORT', 55432),
      dir: postgresDir,
      data: join(postgresDir, 'data'),
      passwordFile: join(postgresDir, 'password'),
      log: join(logDir, 'berth-postgres.log'),
      user: 'berth',
      database: 'berth',
    },
    s3: {
      port: s3Port,
      endpoint: `http://127.0.0.1:${s3Port}`,
      dir: s3Dir,
      pidFile: join(s3Dir, 'moto.pid'),
      log: join(logDir, 'berth-moto.log'),
      selfCheckBucket: 'berth-test-env-self-check',
    },
  };
}
