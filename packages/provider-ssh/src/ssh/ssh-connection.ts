/**
 * One SSH connection to a host, opened on first use and reused by every phase (commands, SFTP,
 * tunnels to the Docker socket and to the service's port). Key authentication only; the host key
 * is checked before anything is sent; keepalive; connect and per-command timeouts. If the
 * connection drops, the next call opens a new one.
 */
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { BerthError } from '@berth/core';
import { nodeNet } from '@berth/core/plugin-kit';
import type { AnyAuthMethod, Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import type { HostKeyVerdict } from './host-key.js';
import { type HostKeyFiles, nodeHostKeyFiles, prepareHostKeyCheck } from './host-key-check.js';
import { mapSshError } from './map-ssh-error.js';
import type { RemoteCommand } from './remote-command.js';
import { collect } from './remote-exec.js';
import { parseSshOptions, type SshConnectionInput, type SshConnectionOptions } from './ssh-options.js';

/** What a finished remote command returned. */
export interface CommandResult {
  /** `null` when the command was ended by a signal. */
  exitCode: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** Options of one command. */
export interface RunOptions {
  /** Written to the command's stdin, then stdin is closed (the way to pass secrets: never argv). */
  stdin?: string | Buffer;
  /** Default: the connection's `commandTimeoutMs`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Exit codes that are not failures. Default `[0]`. */
  allowExitCodes?: readonly number[];
  /** For messages, e.g. `create the release folder`. Default: the start of the script. */
  description?: string;
}

/** The port every host operation uses. */
export interface SshConnection {
  /** `user@host:port`, for messages. */
  readonly target: string;
  /** The host key fingerprint once connected. */
  readonly hostKeyFingerprint: string | undefined;
  /** Open the connection now (otherwise the first call opens it). */
  connect(): Promise<void>;
  /** Run a command; throws `SSH_COMMAND_FAILED` on a disallowed exit code, a signal or a timeout. */
  run(command: RemoteCommand, options?: RunOptions): Promise<CommandResult>;
  /** The SFTP session of this connection (one, reused). */
  sftp(): Promise<SFTPWrapper>;
  /** A stream to a UNIX socket on the host (e.g. `/var/run/docker.sock`). */
  openUnixSocket(path: string): Promise<Duplex>;
  /** A stream to `host:port` as seen from the host (e.g. `127.0.0.1:8080`). */
  openTcp(host: string, port: number): Promise<Duplex>;
  close(): Promise<void>;
}

/** Injected effects of the connection. */
export interface SshConnectionDeps {
  createClient?: () => Client;
  /** The TCP socket to connect with (not yet connected). Default `new Socket()`. */
  createSocket?: () => Socket;
  readPrivateKey?: (path: string) => Promise<Buffer>;
  hostKeyFiles?: HostKeyFiles;
  /** For `SSH_AUTH_SOCK`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

function authMethods(
  options: SshConnectionOptions,
  key: Buffer | undefined,
  agent: string | undefined,
): AnyAuthMethod[] {
  const methods: AnyAuthMethod[] = [];
  if (key !== undefined) {
    methods.push({
      type: 'publickey',
      username: options.username,
      key,
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    });
  }
  if (agent !== undefined) methods.push({ type: 'agent', username: options.username, agent });
  return methods;
}

/** Open-on-demand SSH connection from options (validated here, before any I/O). */
export function sshConnection(input: SshConnectionInput, deps: SshConnectionDeps = {}): SshConnection {
  const options = parseSshOptions(input);
  const target = `${options.username}@${options.host}:${options.port}`;
  const env = deps.env ?? process.env;
  let client: Client | undefined;
  let opening: Promise<Client> | undefined;
  let sftpSession: Promise<SFTPWrapper> | undefined;
  let fingerprint: string | undefined;

  const loadKey = async (): Promise<Buffer | undefined> => {
    if (options.privateKey !== undefined) return Buffer.from(options.privateKey);
    if (options.privateKeyPath === undefined) return undefined;
    try {
      return await (deps.readPrivateKey ?? readFile)(options.privateKeyPath);
    } catch (error) {
      throw new BerthError('SSH_AUTH_FAILED', `Cannot read the private key ${options.privateKeyPath}.`, {
        hint: 'Check `privateKeyPath`: the file must exist and be readable by this process.',
        cause: error,
        details: { target, privateKeyPath: options.privateKeyPath },
      });
    }
  };

  const open = async (): Promise<Client> => {
    const key = await loadKey();
    const agent = options.agent ?? (key === undefined ? env.SSH_AUTH_SOCK : undefined);
    if (key === undefined && agent === undefined) {
      throw new BerthError('SSH_AUTH_FAILED', `No key to log in to ${target}.`, {
        hint: 'Pass `privateKeyPath` (or `privateKey`), or run an ssh-agent (SSH_AUTH_SOCK) with the key loaded.',
        details: { target },
      });
    }
    const check = await prepareHostKeyCheck(options, deps.hostKeyFiles ?? nodeHostKeyFiles);
    let refused: HostKeyVerdict | undefined;
    let checkFailure: unknown;
    // ssh2 loads on the first connection, not when this package is imported.
    const connection = deps.createClient ? deps.createClient() : new (await import('ssh2')).Client();
    // Berth's own socket, with Nagle's algorithm off: ssh2 leaves it on, and every small request
    // (a command, an SFTP write) then waits ~40 ms for the delayed ACK of the one before.
    const socket = (deps.createSocket ?? (() => new (nodeNet().Socket)()))();
    socket.setNoDelay(true);
    const config: ConnectConfig = {
      sock: socket,
      host: options.host,
      port: options.port,
      username: options.username,
      readyTimeout: options.connectTimeoutMs,
      keepaliveInterval: options.keepaliveIntervalMs,
      keepaliveCountMax: options.keepaliveCountMax,
      authHandler: authMethods(options, key, agent),
      hostVerifier: (keyBlob: Buffer, verify: (valid: boolean) => void) => {
        check.verify(keyBlob).then(
          (verdict) => {
            if (verdict.status === 'trusted') fingerprint = verdict.fingerprint;
            else refused = verdict;
            verify(verdict.status === 'trusted');
          },
          (error: unknown) => {
            checkFailure = error;
            verify(false);
          },
        );
      },
    };
    if (check.preferredKeyTypes.length > 0) {
      const defaults = [
        'ssh-ed25519',
        'ecdsa-sha2-nistp256',
        'ecdsa-sha2-nistp384',
        'ecdsa-sha2-nistp521',
        'rsa-sha2-512',
        'rsa-sha2-256',
        'ssh-rsa',
      ];
      const preferred = check.preferredKeyTypes.flatMap((type) =>
        type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type],
      );
      config.algorithms = { serverHostKey: [...new Set([...preferred, ...defaults])] as never };
    }
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      connection.once('ready', () => {
        settled = true;
        resolve(connection);
      });
      connection.on('error', (error) => {
        if (settled) return; // a later error also closes the connection; the next call reopens
        settled = true;
        connection.end();
        if (refused !== undefined) reject(check.refusal(refused));
        else if (checkFailure !== undefined) reject(mapSshError(checkFailure, target, 'connect'));
        else reject(mapSshError(error, target, 'connect'));
      });
      connection.on('close', () => {
        if (client === connection) {
          client = undefined;
          sftpSession = undefined;
        }
        if (!settled) {
          settled = true;
          reject(
            refused !== undefined
              ? check.refusal(refused)
              : mapSshError(new Error('Connection lost'), target, 'connect'),
          );
        }
      });
      try {
        // Connect the socket first: ssh2 waits for its `connect` event (and runs `readyTimeout`).
        socket.connect({ host: options.host, port: options.port });
        connection.connect(config);
      } catch (error) {
        socket.destroy();
        settled = true;
        reject(mapSshError(error, target, 'connect'));
      }
    });
  };

  const connected = async (): Promise<Client> => {
    if (client) return client;
    opening ??= open().then(
      (ready) => {
        client = ready;
        opening = undefined;
        return ready;
      },
      (error: unknown) => {
        opening = undefined;
        throw error;
      },
    );
    return opening;
  };

  const channel = async (
    operation: 'forward',
    start: (ready: Client, done: (error: Error | undefined, channel: ClientChannel) => void) => void,
  ): Promise<ClientChannel> => {
    const ready = await connected();
    return new Promise((resolve, reject) => {
      start(ready, (error, opened) =>
        error ? reject(mapSshError(error, target, operation)) : resolve(opened),
      );
    });
  };

  return {
    target,
    get hostKeyFingerprint() {
      return fingerprint;
    },
    async connect() {
      await connected();
    },
    async run(command, runOptions = {}) {
      const description = runOptions.description ?? command.script.slice(0, 200);
      const ready = await connected();
      return new Promise((resolve, reject) => {
        ready.exec(command.script, (error, stream) => {
          if (error) return reject(mapSshError(error, target, 'exec'));
          // Listen in this callback: a fast command's output, exit status and close can arrive in
          // the same packet batch as the exec reply, before any promise continuation would run.
          collect(
            stream,
            runOptions,
            description,
            runOptions.timeoutMs ?? options.commandTimeoutMs,
            target,
          ).then(resolve, reject);
        });
      });
    },
    sftp() {
      sftpSession ??= connected().then(
        (ready) =>
          new Promise<SFTPWrapper>((resolve, reject) => {
            ready.sftp((error, session) =>
              error ? reject(mapSshError(error, target, 'sftp')) : resolve(session),
            );
          }),
      );
      const session = sftpSession;
      session.catch(() => {
        if (sftpSession === session) sftpSession = undefined;
      });
      return session;
    },
    openUnixSocket(path) {
      return channel('forward', (ready, done) => ready.openssh_forwardOutStreamLocal(path, done));
    },
    openTcp(host, port) {
      return channel('forward', (ready, done) => ready.forwardOut('127.0.0.1', 0, host, port, done));
    },
    async close() {
      const current = client ?? (await opening?.catch(() => undefined));
      if (!current) return;
      await new Promise<void>((resolve) => {
        current.once('close', () => resolve());
        current.end();
      });
    },
  };
}
