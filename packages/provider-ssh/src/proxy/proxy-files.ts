/**
 * The proxy's folder on the host (`run/` with the admin socket, `data/` with certificates and
 * the internal CA, `config/` with the autosaved config, `init.json`), and the stream to its admin
 * socket: on this machine through `node:fs`/`node:net`, on an SSH host through the connection.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { nodeNet } from '@berth/core/plugin-kit';
import { sh } from '../ssh/remote-command.js';
import type { SshConnection } from '../ssh/ssh-connection.js';

/** The port. */
export interface ProxyFiles {
  /** The folder, as the host (and so the engine's bind mounts) sees it. */
  readonly directory: string;
  /** For messages: `unix:///…/run/admin.sock` (on host…). */
  readonly adminDescription: string;
  /**
   * Create the folders (owned by the user Berth connects as, mode 0700) and write `init.json` once;
   * returns that user as `uid:gid`, which the proxy runs as so that only this user reaches the socket.
   */
  prepare(initialConfig: string): Promise<{ user: string }>;
  /** A stream to the admin socket. */
  openAdmin(): Promise<Duplex>;
  /** A file under `data/` (e.g. the internal CA's root certificate); `undefined` when absent. */
  readData(relativePath: string): Promise<string | undefined>;
  /** A kernel setting of the host, e.g. `net.ipv4.tcp_migrate_req` (`/proc/sys/…`); `undefined` when it has none. */
  readKernelSetting(name: string): Promise<string | undefined>;
}

/** Where Linux shows a kernel setting: `net.ipv4.tcp_migrate_req` → `/proc/sys/net/ipv4/tcp_migrate_req`. Pure. */
export function kernelSettingPath(name: string): string {
  return `/proc/sys/${name.replaceAll('.', '/')}`;
}

/** Paths inside the proxy folder. */
export function proxyPaths(directory: string) {
  return {
    run: `${directory}/run`,
    socket: `${directory}/run/admin.sock`,
    data: `${directory}/data`,
    config: `${directory}/config`,
    init: `${directory}/init.json`,
  };
}

/** The proxy folder on this machine. */
export function localProxyFiles(directory: string): ProxyFiles {
  const paths = proxyPaths(directory);
  return {
    directory,
    adminDescription: `unix://${paths.socket}`,
    async prepare(initialConfig) {
      for (const folder of [paths.run, paths.data, paths.config])
        await mkdir(folder, { recursive: true, mode: 0o700 });
      const exists = await stat(paths.init).then(
        () => true,
        () => false,
      );
      if (!exists) await writeFile(paths.init, initialConfig, { mode: 0o600 });
      return { user: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}` };
    },
    openAdmin: () =>
      new Promise<Duplex>((resolve, reject) => {
        const socket = nodeNet().connect(paths.socket);
        socket.once('connect', () => resolve(socket));
        socket.once('error', reject);
      }),
    readData: (relativePath) => readFile(join(paths.data, relativePath), 'utf8').catch(() => undefined),
    readKernelSetting: (name) => readFile(kernelSettingPath(name), 'utf8').catch(() => undefined),
  };
}

/** The proxy folder on an SSH host. */
export function sshProxyFiles(connection: SshConnection, directory: string): ProxyFiles {
  const paths = proxyPaths(directory);
  return {
    directory,
    adminDescription: `unix://${paths.socket} on ${connection.target}`,
    async prepare(initialConfig) {
      const result = await connection.run(
        sh`umask 077 && mkdir -p ${[paths.run, paths.data, paths.config]} && { [ -s ${paths.init} ] || cat > ${paths.init}; } && id -u && id -g`,
        { stdin: initialConfig, description: 'prepare the proxy folder' },
      );
      const [uid, gid] = result.stdout.trim().split(/\s+/);
      return { user: `${uid}:${gid}` };
    },
    openAdmin: () => connection.openUnixSocket(paths.socket),
    async readData(relativePath) {
      const result = await connection.run(sh`cat ${`${paths.data}/${relativePath}`}`, {
        allowExitCodes: [0, 1],
        description: 'read the proxy CA certificate',
      });
      return result.exitCode === 0 ? result.stdout : undefined;
    },
    async readKernelSetting(name) {
      const result = await connection.run(sh`cat ${kernelSettingPath(name)}`, {
        allowExitCodes: [0, 1],
        description: `read ${name}`,
      });
      return result.exitCode === 0 ? result.stdout : undefined;
    },
  };
}
