/**
 * Debian's docker-registry on loopback with htpasswd (bcrypt) auth, plain HTTP (Docker treats
 * 127.0.0.0/8 as insecure). Checked with login, push and pull through the Engine API.
 */
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { ensureBusyboxImage } from './busybox-image.ts';
import type { Component, Context } from './component.ts';
import type { TestEnvConfig } from './config.ts';
import { dockerPing, followProgress, removeImage } from './docker-client.ts';
import { readText, secretFile, writeAtomic, writeIfChanged } from './files.ts';
import { basicAuth, httpGet } from './http.ts';
import { indent, log, TestEnvError, warn } from './log.ts';
import { run, runChecked, startDetached, succeeds } from './shell.ts';
import { pidAlive, pidFromFile, pidIs, waitUntil } from './wait.ts';

/** The registry's config.yml (byte for byte what the bash version wrote, so an upgrade restarts nothing). */
export function renderRegistryConfig(config: TestEnvConfig['registry'], httpSecret: string): string {
  return `# Written by scripts/test-env.sh: edits are overwritten.
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: ${config.data}
  delete:
    enabled: true
http:
  addr: ${config.host}
  secret: ${httpSecret}
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: berth-test-registry
    path: ${config.htpasswd}
`;
}

const password = (context: Context): string => (readText(context.config.registry.passwordFile) ?? '').trim();

async function status(context: Context, authorization?: string): Promise<number> {
  const headers = authorization === undefined ? undefined : { Authorization: authorization };
  return (await httpGet(`http://${context.config.registry.host}/v2/`, { headers, timeoutMs: 3000 })).status;
}

async function ready(context: Context): Promise<boolean> {
  return (
    (await status(context)) === 401 &&
    (await status(context, basicAuth(context.config.registry.user, password(context)))) === 200
  );
}

const running = (context: Context): boolean =>
  pidIs(pidFromFile(context.config.registry.pidFile), 'docker-registry');

async function stop(context: Context): Promise<void> {
  const pid = pidFromFile(context.config.registry.pidFile);
  if (pidIs(pid, 'docker-registry')) {
    log(`stopping the registry (pid ${pid})`);
    process.kill(pid as number, 'SIGTERM');
    if (!(await waitUntil(30, () => !pidAlive(pid))))
      throw new TestEnvError(`the registry (pid ${pid}) did not stop within 30s`);
  }
  rmSync(context.config.registry.pidFile, { force: true });
}

async function start(context: Context): Promise<void> {
  const { host, port, config, log: logFile, pidFile, user } = context.config.registry;
  if ((await status(context)) !== 0) {
    if (
      existsSync('/run/systemd/system') &&
      (await succeeds('systemctl', ['is-active', '--quiet', 'docker-registry.service']))
    ) {
      // Debian's docker-registry package starts its own (unauthenticated) registry on :5000.
      log(`stopping and disabling Debian's docker-registry.service, which holds port ${port}`);
      await run('systemctl', ['disable', '--now', 'docker-registry.service']);
      await waitUntil(10, async () => (await status(context)) === 0);
    }
    if ((await status(context)) !== 0) {
      throw new TestEnvError(`something else answers on ${host}; stop it or set BERTH_REGISTRY_PORT`);
    }
  }
  log(`starting the registry on ${host} (log: ${logFile})`);
  const logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
  const pid = startDetached('docker-registry', ['serve', config], logFile);
  writeAtomic(pidFile, `${pid}\n`, 0o644);
  const deadline = Date.now() + 30_000;
  while (!(await ready(context))) {
    if (!pidAlive(pid)) {
      const tail = (readText(logFile) ?? '').slice(logOffset).trimEnd().split('\n').slice(-8).join('\n');
      throw new TestEnvError(`the registry exited at start-up (log: ${logFile})\n${indent(tail)}`);
    }
    if (Date.now() >= deadline)
      throw new TestEnvError(`the registry did not become ready within 30s (log: ${logFile})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log(`registry ready: GET /v2/ is 401 without credentials, 200 as '${user}'`);
}

/** Login, push and pull with the credentials; anonymous manifest reads refused. */
async function selfCheck(context: Context): Promise<void> {
  if (!(await dockerPing(context.docker))) {
    warn('docker engine not answering: skipped the registry push/pull self-check');
    return;
  }
  await ensureBusyboxImage(context);
  const { host, user, selfCheckRepo } = context.config.registry;
  const authconfig = { username: user, password: password(context), serveraddress: host };
  const reference = `${host}/${selfCheckRepo}:latest`;
  try {
    await context.docker.checkAuth(authconfig);
  } catch (error) {
    throw new TestEnvError(`docker login ${host} failed: ${(error as Error).message}`);
  }
  await context.docker
    .getImage(context.config.images.busybox)
    .tag({ repo: `${host}/${selfCheckRepo}`, tag: 'latest' });
  await followProgress(
    context.docker,
    await context.docker.getImage(reference).push({ authconfig } as object),
    `docker push ${reference}`,
  );
  await removeImage(context.docker, reference);
  await followProgress(
    context.docker,
    await context.docker.pull(reference, { authconfig }),
    `docker pull ${reference}`,
  );
  await removeImage(context.docker, reference);
  const anonymous = (await httpGet(`http://${host}/v2/${selfCheckRepo}/manifests/latest`)).status;
  if (anonymous !== 401)
    throw new TestEnvError(`the registry serves anonymous reads (GET manifest -> ${anonymous})`);
  log(`registry self-check passed: login, push and pull of ${reference}`);
}

async function ensure(context: Context): Promise<void> {
  const registry = context.config.registry;
  let restart = false;
  mkdirSync(registry.data, { recursive: true });
  chmodSync(registry.dir, 0o700);
  const secret =
    password(context) === ''
      ? secretFile(registry.passwordFile, 24, 'the registry password')
      : password(context);
  const httpSecret = secretFile(registry.secretFile, 32);
  // The registry only accepts bcrypt entries (-B).
  if (!(await succeeds('htpasswd', ['-vb', registry.htpasswd, registry.user, secret]))) {
    log(`writing ${registry.htpasswd} (bcrypt)`);
    writeAtomic(registry.htpasswd, await runChecked('htpasswd', ['-Bbn', registry.user, secret]), 0o600);
    restart = true;
  }
  if (writeIfChanged(registry.config, renderRegistryConfig(registry, httpSecret), 0o600)) restart = true;

  if (running(context) && !restart && (await ready(context))) {
    log(`registry answers on ${registry.host} (pid ${pidFromFile(registry.pidFile)})`);
    if (context.check) await selfCheck(context);
    return;
  }
  await stop(context);
  await start(context);
  await selfCheck(context);
}

export const registry: Component = {
  name: 'registry',
  packages: ['docker-registry', 'apache2-utils'],
  ensure,
  async envSections(context) {
    if (password(context) === '' || !(await ready(context))) return undefined;
    const { host, user } = context.config.registry;
    return { registry: { host, username: user, password: password(context) } };
  },
  reset: stop,
};
