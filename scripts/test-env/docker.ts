/**
 * The Docker engine: started when its socket does not answer (docker.service under systemd, else a
 * background dockerd), then proven to run containers plainly, with --network host and with a
 * published port. When containers cannot run, the storage driver is switched along the fallbacks.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePackages } from './apt.ts';
import { ensureBusyboxImage } from './busybox-image.ts';
import type { Component, Context } from './component.ts';
import { dockerPing, removeContainer, runToEnd } from './docker-client.ts';
import { readText, writeAtomic } from './files.ts';
import { httpGet } from './http.ts';
import { indent, log, TestEnvError, warn } from './log.ts';
import { run, startDetached, succeeds } from './shell.ts';
import { fallbackDrivers, withStorageDriver } from './storage-driver.ts';
import { freePort, pidAlive, pidFromFile, pidIs, waitUntil } from './wait.ts';

const systemdRunning = (): boolean => existsSync('/run/systemd/system');
const hasSystemdUnit = async (): Promise<boolean> =>
  systemdRunning() && (await succeeds('systemctl', ['cat', 'docker.service']));

async function storageDriver(context: Context): Promise<string> {
  if (await dockerPing(context.docker)) {
    return (await context.docker.info().catch(() => ({ Driver: 'unknown' }))).Driver as string;
  }
  try {
    return (
      (JSON.parse(readText(context.config.docker.daemonJson) ?? '{}')['storage-driver'] as string) ?? 'auto'
    );
  } catch {
    return 'auto';
  }
}

async function startDockerd(context: Context): Promise<boolean> {
  const { log: logFile } = context.config.docker;
  let pid: number | undefined;
  let logOffset = 0;
  if (await hasSystemdUnit()) {
    log('starting docker.service');
    await run('systemctl', ['start', 'docker.service']);
  } else {
    log(`starting dockerd in the background (log: ${logFile})`);
    logOffset = existsSync(logFile) ? statSync(logFile).size : 0;
    pid = startDetached('dockerd', [], logFile);
  }
  const deadline = Date.now() + 60_000;
  while (!(await dockerPing(context.docker))) {
    if (pid !== undefined && !pidAlive(pid)) {
      const lastWords = (readText(logFile) ?? '')
        .slice(logOffset)
        .split('\n')
        .filter((line) => !line.includes('level=info'));
      warn(`dockerd exited; its last words in ${logFile}:\n${indent(lastWords.slice(-8).join('\n'))}`);
      return false;
    }
    if (Date.now() >= deadline) {
      warn(
        `the docker engine did not answer on ${context.config.docker.socketPath} within 60s (log: ${logFile})`,
      );
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log(`docker engine is up (storage driver: ${await storageDriver(context)})`);
  return true;
}

async function stopDockerd(context: Context): Promise<void> {
  if ((await hasSystemdUnit()) && (await succeeds('systemctl', ['is-active', '--quiet', 'docker.service']))) {
    log('stopping docker.service');
    await run('systemctl', ['stop', 'docker.service', 'docker.socket']);
    return;
  }
  const pid = pidFromFile(context.config.docker.pidFile);
  if (!pidIs(pid, 'dockerd')) {
    if (await dockerPing(context.docker)) {
      throw new TestEnvError(
        `the docker engine answers but ${context.config.docker.pidFile} names no dockerd; stop it by hand`,
      );
    }
    return;
  }
  log(`stopping dockerd (pid ${pid})`);
  process.kill(pid as number, 'SIGTERM');
  if (!(await waitUntil(60, () => !pidAlive(pid))))
    throw new TestEnvError(`dockerd (pid ${pid}) did not stop within 60s`);
}

async function serves(url: string, body: string): Promise<boolean> {
  const answer = await httpGet(url, { timeoutMs: 3000 });
  return answer.status === 200 && answer.body.trim() === body;
}

/** One busybox httpd container serving `body` on a free port, with the given network setup. */
async function probeHttp(
  context: Context,
  what: string,
  network: 'host' | 'published',
): Promise<string | undefined> {
  const name = `berth-test-env-probe-${process.pid}`;
  const port = await freePort();
  const listen = network === 'host' ? `127.0.0.1:${port}` : String(port);
  const body = network === 'host' ? 'host-network' : 'published-port';
  await removeContainer(context.docker, name);
  try {
    const container = await context.docker.createContainer({
      name,
      Image: context.config.images.busybox,
      Cmd: ['sh', '-c', `mkdir -p /w && echo ${body} >/w/probe && exec httpd -f -p ${listen} -h /w`],
      ExposedPorts: network === 'published' ? { [`${port}/tcp`]: {} } : undefined,
      HostConfig:
        network === 'host'
          ? { NetworkMode: 'host' }
          : { PortBindings: { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] } },
    });
    await container.start();
    const url = `http://127.0.0.1:${port}/probe`;
    if (!(await waitUntil(15, () => serves(url, body))))
      return `${what}: GET ${url} did not answer '${body}'`;
    return undefined;
  } catch (error) {
    return `${what}: ${(error as Error).message}`;
  } finally {
    await removeContainer(context.docker, name);
  }
}

/** Proves containers run: plainly, with --network host and with -p 127.0.0.1:PORT:PORT. */
async function probeContainers(context: Context): Promise<boolean> {
  try {
    await ensureBusyboxImage(context);
    const plain = await runToEnd(context.docker, context.config.images.busybox, ['true']);
    if (plain.exitCode !== 0) throw new Error(`a plain container exited ${plain.exitCode}: ${plain.stderr}`);
  } catch (error) {
    warn((error as Error).message);
    return false;
  }
  for (const [what, network] of [
    ['container with --network host', 'host'],
    ['container with -p 127.0.0.1:PORT:PORT', 'published'],
  ] as const) {
    const failure = await probeHttp(context, what, network);
    if (failure !== undefined) {
      warn(failure);
      return false;
    }
  }
  log('containers run (plain, --network host, -p 127.0.0.1:PORT:PORT)');
  return true;
}

async function switchStorageDriver(context: Context, driver: string): Promise<boolean> {
  const { daemonJson } = context.config.docker;
  let next: string;
  try {
    next = withStorageDriver(readText(daemonJson), driver);
  } catch {
    throw new TestEnvError(`${daemonJson} is not valid JSON`);
  }
  mkdirSync(dirname(daemonJson), { recursive: true });
  writeAtomic(daemonJson, next, 0o644);
  log(`set "storage-driver": "${driver}" in ${daemonJson}`);
  await stopDockerd(context);
  return (await startDockerd(context)) && (await probeContainers(context));
}

async function storageDriverUsable(driver: string): Promise<boolean> {
  if (driver !== 'fuse-overlayfs') return true;
  if (!existsSync('/dev/fuse')) return false;
  await ensurePackages(['fuse-overlayfs']);
  return true;
}

async function tryStorageFallbacks(context: Context, reason: string): Promise<void> {
  let current = await storageDriver(context);
  for (const driver of fallbackDrivers(context.config.docker.storageDriverFallbacks, current)) {
    if (driver === current || !(await storageDriverUsable(driver))) continue;
    warn(`${reason} with storage driver '${current}'; trying '${driver}'`);
    if (await switchStorageDriver(context, driver)) return;
    current = driver;
  }
  throw new TestEnvError(
    `no storage driver in '${context.config.docker.storageDriverFallbacks.join(' ')}' works here (${reason}); ` +
      `the cause may lie elsewhere: see ${context.config.docker.log}`,
  );
}

async function fingerprint(context: Context): Promise<string> {
  return `dockerd-pid=${pidFromFile(context.config.docker.pidFile) ?? ''} driver=${await storageDriver(context)}`;
}

async function markVerified(context: Context): Promise<void> {
  writeAtomic(context.config.docker.verifiedMarker, `${await fingerprint(context)}\n`, 0o644);
}

async function ensure(context: Context): Promise<void> {
  const { socketPath, verifiedMarker, forcedStorageDriver } = context.config.docker;
  if (!(await succeeds('sh', ['-c', 'command -v dockerd'])))
    throw new TestEnvError('dockerd not found after installing docker.io');
  if (await dockerPing(context.docker)) {
    log(`docker engine answers on ${socketPath}`);
  } else if (!(await startDockerd(context))) {
    await tryStorageFallbacks(context, 'dockerd did not start'); // probes the containers too
    await markVerified(context);
    return;
  }
  if (forcedStorageDriver !== undefined && (await storageDriver(context)) !== forcedStorageDriver) {
    log(`BERTH_DOCKER_STORAGE_DRIVER=${forcedStorageDriver}`);
    if (!(await switchStorageDriver(context, forcedStorageDriver))) {
      throw new TestEnvError(`containers do not run with '${forcedStorageDriver}'`);
    }
    await markVerified(context);
    return;
  }
  // Probing takes a few seconds: skip it when this same daemon already passed it.
  const current = await fingerprint(context);
  if (!context.check && readText(verifiedMarker)?.trim() === current) {
    log(`docker engine verified earlier (${current})`);
    return;
  }
  if (!(await probeContainers(context))) await tryStorageFallbacks(context, 'containers cannot run');
  await markVerified(context);
}

export const docker: Component = {
  name: 'docker',
  packages: ['docker.io'],
  ensure,
  async envSections(context) {
    if (!(await dockerPing(context.docker))) return undefined;
    return { docker: { socketPath: context.config.docker.socketPath } };
  },
};
