/**
 * Helpers for the provider's integration tests against the real Docker engine: a hand-made
 * `ProviderContext`, free ports, HTTP GETs on loopback, and clean-up of test containers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderContext } from '@berth/core';
import Docker from 'dockerode';

/** A provider context on the real clock that records log lines. */
export function testContext(logs: string[] = []): ProviderContext {
  return {
    signal: new AbortController().signal,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)) },
    progress: () => {},
    log: (level, message) => logs.push(`${level}: ${message}`),
  };
}

/**
 * A TCP port nothing listens on right now, on every address. Picked at random below the kernel's
 * ephemeral range (32768–60999 here): the kernel hands those to outgoing connections and to every
 * other process that binds port 0, so on a machine shared by several test runs a port it picked
 * could be taken again before the test used it. Tries until one binds.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await bindable(port)) return port;
  }
  throw new Error('No free TCP port found in 20000–31999');
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    // The wildcard address: a port in use on any address (a service bound to 0.0.0.0) is refused.
    server.listen({ host: '0.0.0.0', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A unique service base name for one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** GET a path on a URL; `{ status: 0 }` when nothing answers. */
export async function get(url: string, path: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(new URL(path, url), { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: await response.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** Poll `path` until it answers `status` (containers take a moment to listen). */
export async function waitForStatus(
  url: string,
  path: string,
  status: number,
  attempts = 60,
): Promise<{ status: number; body: string }> {
  let last = { status: 0, body: '' };
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    last = await get(url, path);
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return last;
}

/** The Dockerode client for the test engine. */
export function testDocker(socketPath: string): Docker {
  return new Docker({ socketPath });
}

/** Berth-managed containers of a service (any state). */
export async function managedContainers(docker: Docker, service: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    all: true,
    filters: { label: ['dev.berth.managed-by=berth', `dev.berth.service=${service}`] },
  });
}

/** Remove every container of the given services (afterAll clean-up). */
export async function removeServices(docker: Docker, services: string[]): Promise<void> {
  for (const service of services)
    for (const container of await managedContainers(docker, service))
      await docker
        .getContainer(container.Id)
        .remove({ force: true })
        .catch(() => {});
}

/** A temporary folder, and its removal. */
export async function temporaryFolder(
  prefix: string,
): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
