/**
 * Helpers for the `sshHost()` integration tests on the real test hosts (scripts/test-env.sh):
 * SSH options of a host, service folders made from the fixtures, a webhook on 127.0.0.1 that
 * records what it is sent, and looks at the host through a connection of its own.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BerthEvent } from '@berth/core';
import type { SshHostTestEnvironment } from '../../../test-support/test-env.js';
import { type HostHistoryEntry, readHostHistory } from '../src/ssh/host-history.js';
import { hostLayout } from '../src/ssh/host-layout.js';
import { sh } from '../src/ssh/remote-command.js';
import { type SshConnection, sshConnection } from '../src/ssh/ssh-connection.js';
import { get } from './docker-test-kit.js';

/** The fixture folders: the Node service (systemd method) and the Docker one (docker method). */
export const nodeFixture = fileURLToPath(new URL('./fixtures/node-health-service', import.meta.url));
export const dockerFixture = fileURLToPath(
  new URL('../../../test-support/fixtures/health-service', import.meta.url),
);

/** The `ssh` options of `sshHost()` for a test host. */
export function sshOptionsOf(host: SshHostTestEnvironment) {
  return {
    host: host.host,
    port: host.port,
    username: host.user,
    privateKeyPath: host.privateKeyPath,
    hostKey: host.hostKeyFingerprint,
  };
}

/** Temporary folders, removed together. */
export function scratch() {
  const folders: string[] = [];
  return {
    /** A copy of `fixture` with `files` written over it (`null` deletes one). */
    async folder(fixture: string, files: Record<string, string | null> = {}): Promise<string> {
      const folder = await mkdtemp(join(tmpdir(), 'berth-ssh-host-'));
      folders.push(folder);
      await cp(fixture, folder, { recursive: true });
      for (const [path, content] of Object.entries(files)) {
        if (content === null) await rm(join(folder, path), { force: true });
        else await writeFile(join(folder, path), content);
      }
      return folder;
    },
    /** A folder name that does not exist. */
    missing(): string {
      return join(tmpdir(), `berth-ssh-host-missing-${Date.now()}`);
    },
    async remove(): Promise<void> {
      await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
    },
  };
}

/** A request the webhook received. */
export interface WebhookCall {
  body: Record<string, unknown>;
  status: number;
}

/** An HTTP server on 127.0.0.1 that answers POSTs with `statuses` in turn (then 200) and records them. */
export async function webhook(statuses: number[] = []) {
  const calls: WebhookCall[] = [];
  const queue = [...statuses];
  const read = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      request.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      request.on('end', () => resolve(text));
    });
  const server = createServer(async (request, response) => {
    const body = JSON.parse((await read(request)) || '{}') as Record<string, unknown>;
    const status = queue.shift() ?? 200;
    calls.push({ body, status });
    response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/services`,
    calls,
    /** Answer the next POSTs with these statuses. */
    answer: (...next: number[]) => queue.push(...next),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every event of every run, to check at the end that no secret value was in one. */
export function eventLog() {
  const events: BerthEvent[] = [];
  return { events, onEvent: (event: BerthEvent) => events.push(event) };
}

/** Looks at a host through a connection of its own, as a second operator would. */
export function hostInspector(host: SshHostTestEnvironment, baseDir: string, service: string) {
  const connection: SshConnection = sshConnection(sshOptionsOf(host));
  const layout = hostLayout(baseDir, service);
  const run = async (script: ReturnType<typeof sh>, stdin?: string) =>
    (await connection.run(script, { allowExitCodes: [0, 1, 2], ...(stdin ? { stdin } : {}) })).stdout;
  return {
    connection,
    layout,
    run,
    history: (): Promise<HostHistoryEntry[]> => readHostHistory(connection, layout),
    exists: async (path: string) =>
      (await connection.run(sh`test -e ${path}`, { allowExitCodes: [0, 1] })).exitCode === 0,
    /** The release folders on the host, sorted. */
    releases: async () =>
      (await run(sh`ls -1 -- ${layout.releasesDir} 2>/dev/null`)).split('\n').filter(Boolean).sort(),
    /** Where `current` points (the release id). */
    current: async () => (await run(sh`readlink -- ${layout.currentLink}`)).trim().split('/').pop(),
    /** Files under `folder` that contain `value` (passed on stdin, never on a command line). */
    filesContaining: async (folder: string, value: string) =>
      (await run(sh`grep -rlF -f - -- ${folder} 2>/dev/null`, `${value}\n`)).split('\n').filter(Boolean),
    close: () => connection.close(),
  };
}

/** The names and statuses of an entry's phases, e.g. `['validation:succeeded', …]`. */
export function phasesOf(entry: HostHistoryEntry | undefined): string[] {
  return (entry?.phases ?? []).map((phase) => `${phase.name}:${phase.status}`);
}

/** The revision the test service on `port` reports at `url` (default its loopback URL), if it answers. */
export async function servedRevision(port: number, url: string | undefined): Promise<string | undefined> {
  const health = await get(url ?? `http://127.0.0.1:${port}`, '/.well-known/health');
  return health.status === 200 ? (JSON.parse(health.body) as { revision: string }).revision : undefined;
}
