/**
 * The integration-test environment started by `bash scripts/test-env.sh` (docs/test-environment.md).
 *
 * The script writes a JSON file (the repository's `.berth-test-env.json`, or `BERTH_TEST_ENV_FILE`)
 * describing the Docker engine, the local registry, the base images it built and the SSH test
 * hosts. Integration tests read it here. A missing environment makes tests FAIL with the fix in the message: never skip.
 *
 * ```ts
 * const env = requireTestEnvironment(['docker', 'registry']);
 * env.registry.host; // '127.0.0.1:5000'
 * ```
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The command that creates or repairs the environment. */
export const TEST_ENV_SETUP_COMMAND = 'bash scripts/test-env.sh';

export const DEFAULT_DOCKER_SOCKET_PATH = '/var/run/docker.sock';

export interface DockerTestEnvironment {
  /** Unix socket of the Docker Engine API. */
  readonly socketPath: string;
}

export interface RegistryTestEnvironment {
  /** `host:port` of a plain-HTTP registry on loopback, e.g. `127.0.0.1:5000`. */
  readonly host: string;
  readonly username: string;
  readonly password: string;
}

export interface ImagesTestEnvironment {
  /** `FROM scratch` + busybox and its applets. */
  readonly busybox: string;
  /** Node 24 on a minimal root filesystem, `CMD ["node"]`, user `node` available. */
  readonly node: string;
  /** The conformance-test HTTP service (test-support/fixtures/health-service/README.md). */
  readonly healthService: string;
  /**
   * Caddy 2.6 from Debian's package (`/usr/bin/caddy`, CA certificates, XDG dirs `/data`,
   * `/config`), the proxy image of the host providers' proxy mode. Absent in env files written
   * before it existed: `requireCaddyImage()` fails with the fix.
   */
  readonly caddy?: string;
}

/** An SSH test host: key authentication only, host key pinned (docs/test-environment.md). */
export interface SshHostTestEnvironment {
  /** Always `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The ed25519 client key both test hosts authorize (no passphrase). */
  readonly privateKeyPath: string;
  /** The host key's fingerprint as `ssh-keygen -l -E sha256` prints it: `SHA256:…`. */
  readonly hostKeyFingerprint: string;
  /** A known_hosts file naming both test hosts (plain `[127.0.0.1]:PORT` entries). */
  readonly knownHostsPath: string;
}

/** sshd on this machine, logged in as `berth` (group docker): the docker method's host. */
export interface SshdTestEnvironment extends SshHostTestEnvironment {
  /** The Docker engine's socket on the host. */
  readonly dockerSocketPath: string;
  /** A folder the user owns, `/opt/berth`. */
  readonly baseDir: string;
}

/** A Debian container booted by systemd (host network), logged in as `root`: the systemd method's host. */
export interface SystemdHostTestEnvironment extends SshHostTestEnvironment {
  /** The container's name (for `docker exec` when a test needs to look behind SSH). */
  readonly container: string;
  /** Node 24 inside the host. */
  readonly nodePath: string;
  /** Debian's caddy binary inside the host (no caddy.service enabled), for the proxy mode tests. */
  readonly caddyPath?: string;
}

/** PostgreSQL 15 on loopback with password authentication, for `@berth/state-postgres`. */
export interface PostgresTestEnvironment {
  /** `postgres://berth:…@127.0.0.1:55432/berth`. */
  readonly connectionString: string;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The cluster's data directory and its `pg_ctl` (the reliability trials restart the server). */
  readonly dataDir: string;
  readonly pgCtl: string;
}

/** moto_server on loopback: an S3 endpoint with conditional writes, for `@berth/state-s3`. */
export interface S3TestEnvironment {
  /** `http://127.0.0.1:55433`; use path-style addressing. */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface TestEnvironment {
  /** The file the environment was read from. */
  readonly filePath: string;
  /** When scripts/test-env.sh wrote the file (ISO 8601), if it says. */
  readonly writtenAt: string | undefined;
  readonly docker: DockerTestEnvironment | undefined;
  readonly registry: RegistryTestEnvironment | undefined;
  readonly images: ImagesTestEnvironment | undefined;
  readonly sshd: SshdTestEnvironment | undefined;
  readonly systemdHost: SystemdHostTestEnvironment | undefined;
  readonly postgres: PostgresTestEnvironment | undefined;
  readonly s3: S3TestEnvironment | undefined;
  /** The whole parsed file, for sections this module does not know yet. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export type TestEnvironmentPart =
  | 'docker'
  | 'registry'
  | 'images'
  | 'sshd'
  | 'systemdHost'
  | 'postgres'
  | 's3';

/** A TestEnvironment whose requested parts are known to be present. */
export type RequiredTestEnvironment<P extends TestEnvironmentPart> = TestEnvironment & {
  readonly [K in P]: NonNullable<TestEnvironment[K]>;
};

const PART_DESCRIPTIONS: Readonly<Record<TestEnvironmentPart, string>> = {
  docker: 'the Docker engine',
  registry: 'the local container registry',
  images: 'the locally built base images',
  sshd: 'the test sshd on 127.0.0.1 (docker method host)',
  systemdHost: 'the systemd test host (systemd method host)',
  postgres: 'PostgreSQL 15 on 127.0.0.1 (state store)',
  s3: 'moto_server on 127.0.0.1 (S3 state store)',
};

/** Thrown when the environment is missing, incomplete or unreadable. */
export class TestEnvironmentError extends Error {
  override readonly name = 'TestEnvironmentError';
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the environment file is: `BERTH_TEST_ENV_FILE`, else `.berth-test-env.json` at the repo root. */
export function testEnvironmentFilePath(): string {
  const fromEnv = process.env.BERTH_TEST_ENV_FILE;
  return fromEnv !== undefined && fromEnv !== ''
    ? resolve(fromEnv)
    : resolve(REPO_ROOT, '.berth-test-env.json');
}

/**
 * Reads the environment file. Throws a TestEnvironmentError (with the fix) when the file is missing
 * or malformed; parts that are not up are `undefined` (see requireTestEnvironment).
 */
export function loadTestEnvironment(): TestEnvironment {
  const filePath = testEnvironmentFilePath();
  let text: string;
  try {
    text = readFileSync(filePath, 'utf8');
  } catch (error) {
    const reason =
      isErrnoException(error) && error.code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${String(error)})`;
    throw new TestEnvironmentError(
      `The integration-test environment file ${filePath} ${reason}. ` +
        `Start the environment with \`${TEST_ENV_SETUP_COMMAND}\` (as root) at the repository root.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw malformed(filePath, `it is not valid JSON (${String(error)})`);
  }
  if (!isRecord(parsed)) {
    throw malformed(filePath, 'it does not hold a JSON object');
  }
  const writtenAt = parsed.writtenAt;
  return {
    filePath,
    writtenAt: typeof writtenAt === 'string' ? writtenAt : undefined,
    docker: readSection(filePath, parsed, 'docker', (read) => ({ socketPath: read('socketPath') })),
    registry: readSection(filePath, parsed, 'registry', (read) => ({
      host: read('host'),
      username: read('username'),
      password: read('password'),
    })),
    images: readSection(filePath, parsed, 'images', (read) => ({
      busybox: read('busybox'),
      node: read('node'),
      healthService: read('healthService'),
      ...(typeof (parsed.images as Record<string, unknown> | undefined)?.caddy === 'string'
        ? { caddy: read('caddy') }
        : {}),
    })),
    sshd: readSection(filePath, parsed, 'sshd', (read, readPort) => ({
      ...readSshHost(read, readPort),
      dockerSocketPath: read('dockerSocketPath'),
      baseDir: read('baseDir'),
    })),
    systemdHost: readSection(filePath, parsed, 'systemdHost', (read, readPort) => ({
      ...readSshHost(read, readPort),
      container: read('container'),
      nodePath: read('nodePath'),
      ...(typeof (parsed.systemdHost as Record<string, unknown> | undefined)?.caddyPath === 'string'
        ? { caddyPath: read('caddyPath') }
        : {}),
    })),
    postgres: readSection(filePath, parsed, 'postgres', (read, readPort) => ({
      connectionString: read('connectionString'),
      host: read('host'),
      port: readPort('port'),
      user: read('user'),
      password: read('password'),
      database: read('database'),
      dataDir: read('dataDir'),
      pgCtl: read('pgCtl'),
    })),
    s3: readSection(filePath, parsed, 's3', (read) => ({
      endpoint: read('endpoint'),
      region: read('region'),
      accessKeyId: read('accessKeyId'),
      secretAccessKey: read('secretAccessKey'),
    })),
    raw: parsed,
  };
}

/**
 * Loads the environment and checks that the given parts are present; throws a TestEnvironmentError
 * naming what is missing and how to fix it. Call it in `beforeAll` (or at the top of a test file):
 * integration tests must fail, not skip, without their environment.
 */
export function requireTestEnvironment<const P extends TestEnvironmentPart>(
  parts: readonly P[],
): RequiredTestEnvironment<P> {
  const env = loadTestEnvironment();
  const missing = parts.filter((part) => env[part] === undefined);
  if (missing.length > 0) {
    const list = missing.map((part) => `"${part}" (${PART_DESCRIPTIONS[part]})`).join(', ');
    throw new TestEnvironmentError(
      `The integration-test environment in ${env.filePath} lacks ${list}: it was not up when the file ` +
        `was written${env.writtenAt === undefined ? '' : ` (${env.writtenAt})`}. ` +
        `Run \`${TEST_ENV_SETUP_COMMAND}\` (as root) at the repository root, then re-run the tests.`,
    );
  }
  return env as RequiredTestEnvironment<P>;
}

/**
 * Whether a Docker engine answers `GET /_ping` on the socket (Engine API over node:http, no CLI).
 * Never throws: resolves false on any error or after `timeoutMs`.
 */
export function dockerIsReachable(
  socketPath: string = DEFAULT_DOCKER_SOCKET_PATH,
  timeoutMs = 3_000,
): Promise<boolean> {
  return new Promise((resolvePing) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolvePing(res.statusCode === 200 && body.trim() === 'OK'));
      res.on('error', () => resolvePing(false));
    });
    req.on('timeout', () => {
      req.destroy();
      resolvePing(false);
    });
    req.on('error', () => resolvePing(false));
    req.end();
  });
}

type FieldReader = (field: string) => string;
type PortReader = (field: string) => number;

function readSshHost(read: FieldReader, readPort: PortReader): SshHostTestEnvironment {
  return {
    host: read('host'),
    port: readPort('port'),
    user: read('user'),
    privateKeyPath: read('privateKeyPath'),
    hostKeyFingerprint: read('hostKeyFingerprint'),
    knownHostsPath: read('knownHostsPath'),
  };
}

function readSection<T>(
  filePath: string,
  file: Readonly<Record<string, unknown>>,
  section: TestEnvironmentPart,
  build: (read: FieldReader, readPort: PortReader) => T,
): T | undefined {
  const value = file[section];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isRecord(value)) {
    throw malformed(filePath, `"${section}" is not an object`);
  }
  return build(
    (field) => {
      const fieldValue = value[field];
      if (typeof fieldValue !== 'string' || fieldValue === '') {
        throw malformed(filePath, `"${section}.${field}" is not a non-empty string`);
      }
      return fieldValue;
    },
    (field) => {
      const fieldValue = value[field];
      if (
        typeof fieldValue !== 'number' ||
        !Number.isInteger(fieldValue) ||
        fieldValue < 1 ||
        fieldValue > 65535
      ) {
        throw malformed(filePath, `"${section}.${field}" is not a TCP port number`);
      }
      return fieldValue;
    },
  );
}

function malformed(filePath: string, reason: string): TestEnvironmentError {
  return new TestEnvironmentError(
    `The integration-test environment file ${filePath} is malformed: ${reason}. ` +
      `Re-create it with \`${TEST_ENV_SETUP_COMMAND}\` (as root) at the repository root.`,
  );
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}

/** The proxy image (`images.caddy`); fails with the fix when the env file predates it. */
export function requireCaddyImage(images: ImagesTestEnvironment): string {
  if (images.caddy) return images.caddy;
  throw new TestEnvironmentError(
    `The integration-test environment lacks "images.caddy" (the proxy image built from Debian's caddy package). ` +
      `Run \`${TEST_ENV_SETUP_COMMAND}\` (as root) at the repository root, then re-run the tests.`,
  );
}
