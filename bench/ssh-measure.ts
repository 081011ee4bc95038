/**
 * The SSH benches' measurements, each against its comparison in the same run: a remote command
 * over Berth's connection vs a raw ssh2 one with TCP_NODELAY; SFTP uploads vs OpenSSH `scp`,
 * `scp -r` and `rsync`; the systemd and SSH docker methods' deploys; the import cost of
 * `@berth/provider-ssh` over `node -e 0`. Every helper returns wall times in milliseconds.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDeployer, type DeployResult, memoryStateStore, type ServiceSpecInput } from '@berth/core';
import { type PutEntry, putFiles, sh, sshConnection, sshHost } from '@berth/provider-ssh';
import { Client } from 'ssh2';

const run = promisify(execFile);

/** A test host of scripts/test-env.sh. */
export interface BenchHost {
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  hostKeyFingerprint: string;
  knownHostsPath: string;
}

/** `ssh` options of `sshHost()` / `sshConnection()` for `host`. */
export function sshOptionsOf(host: BenchHost) {
  return {
    host: host.host,
    port: host.port,
    username: host.user,
    privateKeyPath: host.privateKeyPath,
    hostKey: host.hostKeyFingerprint,
  };
}

async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}

/** One `true` on an open connection, `count` times: Berth's, and raw ssh2 with and without TCP_NODELAY. */
export async function commandRoundTrips(host: BenchHost, count: number) {
  const berth = sshConnection(sshOptionsOf(host));
  await berth.connect();
  const key = await readFile(host.privateKeyPath);
  const raw = async (noDelay: boolean) => {
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve()).once('error', reject);
      client.connect({
        host: host.host,
        port: host.port,
        username: host.user,
        privateKey: key,
      });
      if (noDelay) client.setNoDelay(true);
    });
    const exec = () =>
      new Promise<void>((resolve, reject) => {
        client.exec('true', (error, stream) => {
          if (error) return reject(error);
          stream.on('close', () => resolve()).resume();
          stream.stderr.resume();
        });
      });
    return { exec, close: () => client.end() };
  };
  const [fast, slow] = await Promise.all([raw(true), raw(false)]);
  const samples = { berth: [] as number[], rawNoDelay: [] as number[], rawNagle: [] as number[] };
  try {
    // Interleaved, so drift on the machine falls on all three.
    for (let index = 0; index < count; index += 1) {
      samples.berth.push(await timed(() => berth.run(sh`true`)));
      samples.rawNoDelay.push(await timed(fast.exec));
      if (index < Math.min(count, 10)) samples.rawNagle.push(await timed(slow.exec));
    }
  } finally {
    await berth.close();
    fast.close();
    slow.close();
  }
  return samples;
}

/** A connection plus one command, with raw ssh2 (TCP_NODELAY): the floor of any remote operation. */
export async function rawConnectAndRun(host: BenchHost): Promise<number> {
  const key = await readFile(host.privateKeyPath);
  return timed(
    () =>
      new Promise<void>((resolve, reject) => {
        const client = new Client();
        client
          .once('ready', () => {
            client.exec('true', (error, stream) => {
              if (error) return reject(error);
              stream
                .on('close', () => {
                  client.end();
                  resolve();
                })
                .resume();
            });
          })
          .once('error', reject);
        client.connect({ host: host.host, port: host.port, username: host.user, privateKey: key });
        client.setNoDelay(true);
      }),
  );
}

/** Local folders for the transfers: one 50 MiB file, and 2,000 small files in 20 folders. */
export async function transferFolders() {
  const root = await mkdtemp(join(tmpdir(), 'berth-bench-ssh-'));
  const big = join(root, 'big');
  await mkdir(big);
  await writeFile(join(big, 'data.bin'), randomBytes(50 * 1024 * 1024));
  const small = join(root, 'small');
  const smallFiles: { path: string; size: number }[] = [];
  for (let folder = 0; folder < 20; folder += 1) {
    await mkdir(join(small, `d${folder}`), { recursive: true });
    for (let file = 0; file < 100; file += 1) {
      const path = `d${folder}/f${file}.js`;
      const size = 200 + (((folder * 100 + file) * 37) % 4000);
      await writeFile(join(small, path), randomBytes(size));
      smallFiles.push({ path, size });
    }
  }
  return { root, big, small, smallFiles };
}

/** OpenSSH client options for the bench host (its own key and known_hosts). */
function opensshOptions(host: BenchHost): string[] {
  return [
    '-i',
    host.privateKeyPath,
    '-o',
    `UserKnownHostsFile=${host.knownHostsPath}`,
    '-o',
    'BatchMode=yes',
  ];
}

/** Upload tools, each timed from process start (or connection start) to the last byte on the host. */
export function uploaders(host: BenchHost) {
  const target = `${host.user}@${host.host}`;
  return {
    scp: (local: string, remote: string, recursive = false) =>
      timed(() =>
        run('scp', [
          '-q',
          ...(recursive ? ['-r'] : []),
          ...opensshOptions(host),
          '-P',
          String(host.port),
          local,
          `${target}:${remote}`,
        ]),
      ),
    rsync: (local: string, remote: string) =>
      timed(() =>
        run('rsync', [
          '-a',
          '-e',
          `ssh -p ${host.port} ${opensshOptions(host).join(' ')}`,
          local,
          `${target}:${remote}`,
        ]),
      ),
    /** Berth: a new connection, its SFTP session, `putFiles` (the systemd method's transfer). */
    berth: async (entries: PutEntry[]) => {
      const connection = sshConnection(sshOptionsOf(host));
      try {
        return await timed(async () => putFiles(await connection.sftp(), entries));
      } finally {
        await connection.close();
      }
    },
    /** A command on the host through a connection of its own (set-up and clean-up, untimed). */
    remote: async (script: ReturnType<typeof sh>) => {
      const connection = sshConnection(sshOptionsOf(host));
      try {
        await connection.run(script);
      } finally {
        await connection.close();
      }
    },
  };
}

/** `node -e <code>` wall time from `cwd`. */
export function nodeRun(code: string, cwd: string): Promise<number> {
  return timed(() => run(process.execPath, ['--input-type=module', '-e', code], { cwd }));
}

const nodeFixture = fileURLToPath(
  new URL('../packages/provider-ssh/test/fixtures/node-health-service', import.meta.url),
);
const dockerFixture = fileURLToPath(new URL('../test-support/fixtures/health-service', import.meta.url));

/** A copy of a service fixture, plus `extra` files. */
export async function serviceFolder(kind: 'node' | 'docker', extra: Record<string, Buffer | string> = {}) {
  const folder = await mkdtemp(join(tmpdir(), `berth-bench-${kind}-`));
  await cp(kind === 'node' ? nodeFixture : dockerFixture, folder, { recursive: true });
  for (const [path, data] of Object.entries(extra)) await writeFile(join(folder, path), data);
  return folder;
}

/** One `up` through a fresh deployer and provider, as a new `node deploy.ts` process would (module loading aside). */
export async function timedUp(
  provider: () => ReturnType<typeof sshHost>,
  state: ReturnType<typeof memoryStateStore>,
  spec: ServiceSpecInput,
): Promise<{ ms: number; result: DeployResult }> {
  const deployer = createDeployer({ provider: provider(), state });
  let result: DeployResult | undefined;
  const ms = await timed(async () => {
    result = await deployer.up(spec);
  });
  await deployer.close();
  return { ms, result: result! };
}

export { memoryStateStore, sshHost };
