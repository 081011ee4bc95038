/**
 * The SSH connection against the real test hosts of scripts/test-env.sh: sshd on 127.0.0.1 (this
 * machine, with its Docker engine) and the systemd host.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment, type SshHostTestEnvironment } from '../../../../test-support/test-env.js';
import { dockerOverSsh } from './docker-over-ssh.js';
import { sh } from './remote-command.js';
import { type SshConnection, sshConnection } from './ssh-connection.js';
import { sshFetch } from './ssh-fetch.js';
import type { SshConnectionInput } from './ssh-options.js';

const env = requireTestEnvironment(['sshd', 'systemdHost']);

function optionsFor(
  host: SshHostTestEnvironment,
  extra: Partial<SshConnectionInput> = {},
): SshConnectionInput {
  return {
    host: host.host,
    port: host.port,
    username: host.user,
    privateKeyPath: host.privateKeyPath,
    hostKey: host.hostKeyFingerprint,
    connectTimeoutMs: 10_000,
    ...extra,
  };
}

async function failure(connection: SshConnection): Promise<BerthError> {
  try {
    await connection.connect();
  } catch (error) {
    if (BerthError.isInstance(error)) return error;
    throw error;
  } finally {
    await connection.close();
  }
  throw new Error('expected the connection to fail');
}

let scratch: string;
const connections: SshConnection[] = [];
function open(input: SshConnectionInput): SshConnection {
  const connection = sshConnection(input);
  connections.push(connection);
  return connection;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'berth-ssh-test-'));
});

afterAll(async () => {
  await Promise.all(connections.map((connection) => connection.close()));
  await rm(scratch, { recursive: true, force: true });
});

describe('host key verification', () => {
  it('connects when the pinned fingerprint matches', async () => {
    const connection = open(optionsFor(env.sshd));
    const result = await connection.run(sh`id -un`);
    expect(result.stdout.trim()).toBe(env.sshd.user);
    expect(connection.hostKeyFingerprint).toBe(env.sshd.hostKeyFingerprint);
  });

  it('connects with the known_hosts file instead of a pin', async () => {
    const connection = open(
      optionsFor(env.sshd, { hostKey: undefined, knownHostsPath: env.sshd.knownHostsPath }),
    );
    expect((await connection.run(sh`echo ok`)).stdout).toBe('ok\n');
  });

  it('refuses a server whose key differs from the pin, before logging in', async () => {
    const error = await failure(
      sshConnection(optionsFor(env.sshd, { hostKey: env.systemdHost.hostKeyFingerprint })),
    );
    expect(error.code).toBe('SSH_HOST_KEY_MISMATCH');
    expect(error.details).toMatchObject({
      fingerprint: env.sshd.hostKeyFingerprint,
      expected: [env.systemdHost.hostKeyFingerprint],
    });
  });

  it('refuses a server whose key differs from its known_hosts entry', async () => {
    const knownHostsPath = join(scratch, 'changed_known_hosts');
    const otherKey = (await readFile(env.systemdHost.knownHostsPath, 'utf8'))
      .split('\n')
      .find((line) => line.startsWith(`[127.0.0.1]:${env.systemdHost.port} `));
    await writeFile(
      knownHostsPath,
      `${otherKey?.replace(`:${env.systemdHost.port} `, `:${env.sshd.port} `)}\n`,
    );
    const error = await failure(sshConnection(optionsFor(env.sshd, { hostKey: undefined, knownHostsPath })));
    expect(error.code).toBe('SSH_HOST_KEY_MISMATCH');
  });

  it('refuses an unknown server unless trust-on-first-use is asked for', async () => {
    const knownHostsPath = join(scratch, `tofu-${randomBytes(3).toString('hex')}`, 'known_hosts');
    const unknown = await failure(
      sshConnection(optionsFor(env.sshd, { hostKey: undefined, knownHostsPath })),
    );
    expect(unknown.code).toBe('SSH_HOST_KEY_UNKNOWN');
    expect(unknown.details).toMatchObject({ fingerprint: env.sshd.hostKeyFingerprint });
    await expect(readFile(knownHostsPath, 'utf8')).rejects.toThrow(/ENOENT/);

    const first = open(optionsFor(env.sshd, { hostKey: undefined, knownHostsPath, trustOnFirstUse: true }));
    await first.connect();
    expect(await readFile(knownHostsPath, 'utf8')).toMatch(
      new RegExp(`^\\[127\\.0\\.0\\.1\\]:${env.sshd.port} ssh-ed25519 `),
    );

    // Recorded: later connections trust it without the flag, and another server on that name is refused.
    const later = open(optionsFor(env.sshd, { hostKey: undefined, knownHostsPath }));
    expect((await later.run(sh`echo again`)).stdout).toBe('again\n');
    const otherServer = await readFile(knownHostsPath, 'utf8');
    await writeFile(knownHostsPath, otherServer.replace(`:${env.sshd.port} `, `:${env.systemdHost.port} `));
    const impostor = await failure(
      sshConnection(
        optionsFor(env.systemdHost, { hostKey: undefined, knownHostsPath, trustOnFirstUse: true }),
      ),
    );
    expect(impostor.code).toBe('SSH_HOST_KEY_MISMATCH');
  });
});

describe('authentication and reachability', () => {
  it('reports a key the server does not accept', async () => {
    const stranger = utils.generateKeyPairSync('ed25519');
    const error = await failure(
      sshConnection(optionsFor(env.sshd, { privateKeyPath: undefined, privateKey: stranger.private })),
    );
    expect(error.code).toBe('SSH_AUTH_FAILED');
    expect(error.message).toContain(`${env.sshd.user}@127.0.0.1:${env.sshd.port}`);
  });

  it('reports a missing key file', async () => {
    const error = await failure(
      sshConnection(optionsFor(env.sshd, { privateKeyPath: join(scratch, 'nope') })),
    );
    expect(error.code).toBe('SSH_AUTH_FAILED');
    expect(error.message).toContain('nope');
  });

  it('reports an unreachable host as retryable', async () => {
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    await new Promise((resolve) => server.close(resolve));
    const error = await failure(sshConnection(optionsFor(env.sshd, { port })));
    expect(error.code).toBe('SSH_UNREACHABLE');
    expect(error.retryable).toBe(true);
  });

  it('refuses a password before connecting', () => {
    expect(() => sshConnection({ ...optionsFor(env.sshd), password: 'x' } as SshConnectionInput)).toThrow(
      /keys only/,
    );
  });
});

describe('commands', () => {
  let connection: SshConnection;
  beforeAll(() => {
    connection = open(optionsFor(env.sshd));
  });

  it('reuses one connection for every command', async () => {
    const peers = new Set<string>();
    for (let index = 0; index < 3; index += 1) {
      peers.add((await connection.run(sh`echo "$SSH_CONNECTION"`)).stdout.trim());
    }
    expect(peers.size).toBe(1);
  });

  it('turns Nagle off on the socket it connects with', async () => {
    const sockets: Socket[] = [];
    const noDelay: (boolean | undefined)[] = [];
    const own = sshConnection(optionsFor(env.sshd), {
      createSocket: () => {
        const socket = new Socket();
        const setNoDelay = socket.setNoDelay.bind(socket);
        socket.setNoDelay = (value?: boolean) => {
          noDelay.push(value);
          return setNoDelay(value);
        };
        sockets.push(socket);
        return socket;
      },
    });
    connections.push(own);
    // The client side of the SSH connection is the socket Berth made.
    const peer = (await own.run(sh`echo "$SSH_CONNECTION"`)).stdout.trim().split(' ');
    expect(sockets).toHaveLength(1);
    expect(Number(peer[1])).toBe(sockets[0]?.localPort);
    expect(noDelay).toEqual([true]);
  });

  it('passes hostile arguments as inert data', async () => {
    const canary = `/tmp/berth-pwned-${randomBytes(4).toString('hex')}`;
    const hostile = [
      `; touch ${canary}`,
      `$(touch ${canary})`,
      `\`touch ${canary}\``,
      `'; touch ${canary}; echo '`,
      `"; touch ${canary}; echo "`,
      `a\ntouch ${canary}`,
      `&& touch ${canary}`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${VAR} is the hostile input
      '${HOME} $PATH ~ * ?',
    ];
    for (const value of hostile) {
      const result = await connection.run(sh`printf '%s' ${value}`);
      expect(result.stdout).toBe(value);
    }
    const exists = await connection.run(sh`test -e ${canary}`, { allowExitCodes: [0, 1] });
    expect(exists.exitCode).toBe(1);
  });

  it('reports the exit status of fast commands every time', async () => {
    for (let index = 0; index < 10; index += 1) {
      const codes = await Promise.all(
        [0, 3, 0, 1, 0].map(
          async (code) => (await connection.run(sh`exit ${code}`, { allowExitCodes: [0, 1, 3] })).exitCode,
        ),
      );
      expect(codes).toEqual([0, 3, 0, 1, 0]);
    }
  });

  it('feeds stdin', async () => {
    expect((await connection.run(sh`cat`, { stdin: 'from stdin\n' })).stdout).toBe('from stdin\n');
  });

  it('fails a command that exits non-zero with its exit code and stderr', async () => {
    const error = await connection
      .run(sh`echo boom >&2; exit 3`, { description: 'explode' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SSH_COMMAND_FAILED', details: { exitCode: 3, command: 'explode' } });
    expect((error as BerthError).message).toContain('boom');
    const allowed = await connection.run(sh`exit 3`, { allowExitCodes: [3] });
    expect(allowed.exitCode).toBe(3);
  });

  it('stops a command that passes its timeout, and kills it on the host', async () => {
    const seconds = `30.${randomBytes(2).readUInt16BE(0)}`;
    const error = await connection
      .run(sh`sleep ${seconds}`, { timeoutMs: 300 })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'SSH_COMMAND_FAILED', details: { timedOut: true } });
    let running = true;
    for (let attempt = 0; attempt < 50 && running; attempt += 1) {
      const found = await connection.run(sh`pgrep -f ${`^sleep ${seconds}$`}`, { allowExitCodes: [0, 1] });
      running = found.exitCode === 0;
    }
    expect(running).toBe(false);
    expect((await connection.run(sh`echo still usable`)).stdout).toBe('still usable\n');
  });

  it('opens a new connection after the old one closed', async () => {
    const own = open(optionsFor(env.sshd));
    const before = (await own.run(sh`echo "$SSH_CONNECTION"`)).stdout;
    await own.close();
    const after = (await own.run(sh`echo "$SSH_CONNECTION"`)).stdout;
    expect(after).not.toBe(before);
  });
});

describe('tunnels', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ path: request.url, via: request.socket.remoteAddress }));
    });
    port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('answers Docker /_ping through the SSH connection', async () => {
    const docker = await dockerOverSsh(open(optionsFor(env.sshd)), { socketPath: env.sshd.dockerSocketPath });
    expect(String(await docker.ping())).toBe('OK');
    const info = (await docker.info()) as { ID?: string };
    expect(info.ID).toBeTruthy();
  });

  it('maps a missing Docker socket to DOCKER_UNAVAILABLE', async () => {
    const docker = await dockerOverSsh(open(optionsFor(env.sshd)), {
      socketPath: '/nonexistent/docker.sock',
    });
    await expect(docker.ping()).rejects.toMatchObject({ code: 'DOCKER_UNAVAILABLE' });
  });

  it('fetches over HTTP from the host side', async () => {
    const fetchFromHost = sshFetch(open(optionsFor(env.sshd)));
    const response = await fetchFromHost(`http://127.0.0.1:${port}/.well-known/health?x=1`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/.well-known/health?x=1', via: '127.0.0.1' });
  });
});

describe('the systemd host', () => {
  it('is reachable with its pinned key and runs systemd', async () => {
    const connection = open(optionsFor(env.systemdHost));
    const result = await connection.run(sh`systemctl is-system-running`, { allowExitCodes: [0, 1] });
    expect(['running', 'degraded']).toContain(result.stdout.trim());
    expect(
      (await connection.run(sh`${env.systemdHost.nodePath} -e ${'console.log(process.version)'}`)).stdout,
    ).toMatch(/^v24\./);
  });
});
