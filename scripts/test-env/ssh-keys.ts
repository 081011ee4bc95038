/** The client key both SSH test hosts authorize, their host keys, one known_hosts naming both, and ssh probes. */
import { chmodSync, chownSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestEnvConfig } from './config.ts';
import { nonEmpty, readText, writeAtomic } from './files.ts';
import { log } from './log.ts';
import { run, runChecked } from './shell.ts';

/** Creates an ed25519 key pair without passphrase unless it exists. */
export async function keygenOnce(file: string, comment: string): Promise<void> {
  if (nonEmpty(file) && nonEmpty(`${file}.pub`)) return;
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  log(`generating the ed25519 key ${file}`);
  await runChecked('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

/** e.g. `SHA256:2hNm…`, as `ssh-keygen -l -E sha256` prints it. */
export async function hostKeyFingerprint(publicKeyFile: string): Promise<string> {
  return (await runChecked('ssh-keygen', ['-l', '-E', 'sha256', '-f', publicKeyFile])).split(/\s+/)[1] ?? '';
}

/** The key both test hosts authorize; owned by the sudo caller so tests run as them can read it. */
export async function ensureClientKey(config: TestEnvConfig, env = process.env): Promise<void> {
  mkdirSync(config.ssh.clientDir, { recursive: true });
  chmodSync(config.ssh.clientDir, 0o700);
  await keygenOnce(config.ssh.clientKey, 'berth-test-client');
  if (env.SUDO_UID !== undefined && env.SUDO_UID !== '') {
    const uid = Number(env.SUDO_UID);
    const gid = Number(env.SUDO_GID || env.SUDO_UID);
    chownSync(config.ssh.clientDir, uid, gid);
    for (const file of readdirSync(config.ssh.clientDir))
      chownSync(join(config.ssh.clientDir, file), uid, gid);
  }
}

/** known_hosts text: a plain `[127.0.0.1]:PORT type key` line per host whose public key is given. */
export function renderKnownHosts(hosts: readonly { port: number; publicKey: string | undefined }[]): string {
  return hosts
    .filter((host) => host.publicKey !== undefined && host.publicKey.trim() !== '')
    .map(
      (host) =>
        `[127.0.0.1]:${host.port} ${(host.publicKey as string).trim().split(/\s+/).slice(0, 2).join(' ')}\n`,
    )
    .join('');
}

export function writeKnownHosts(config: TestEnvConfig): void {
  const text = renderKnownHosts([
    { port: config.sshd.port, publicKey: readText(`${config.sshd.hostKey}.pub`) },
    { port: config.systemdHost.port, publicKey: readText(`${config.systemdHost.hostKey}.pub`) },
  ]);
  if (readText(config.ssh.knownHosts) !== text) writeAtomic(config.ssh.knownHosts, text, 0o644);
}

function sshOptions(config: TestEnvConfig, port: number): string[] {
  return [
    '-p',
    String(port),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `UserKnownHostsFile=${config.ssh.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
  ];
}

/** Runs a command on 127.0.0.1:PORT as USER with the client key and strict host keys; its stdout, or undefined. */
export async function sshAs(
  config: TestEnvConfig,
  user: string,
  port: number,
  command: string,
): Promise<string | undefined> {
  const result = await run('ssh', [
    '-q',
    '-i',
    config.ssh.clientKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'LogLevel=ERROR',
    ...sshOptions(config, port),
    `${user}@127.0.0.1`,
    command,
  ]);
  return result.code === 0 ? result.stdout : undefined;
}

/** True when the server offers nothing but publickey authentication. */
export async function passwordRefused(config: TestEnvConfig, user: string, port: number): Promise<boolean> {
  const result = await run('ssh', [
    '-v',
    '-o',
    'PubkeyAuthentication=no',
    ...sshOptions(config, port),
    `${user}@127.0.0.1`,
    'true',
  ]);
  // ssh -v ends its debug lines with CR LF.
  return /Authentications that can continue: publickey$/m.test(
    (result.stdout + result.stderr).replace(/\r/g, ''),
  );
}

/** The env-file fields both SSH hosts share, or undefined when a key is missing. */
export async function sshEnvFields(
  config: TestEnvConfig,
  user: string,
  port: number,
  hostKey: string,
): Promise<Record<string, unknown> | undefined> {
  if (!nonEmpty(config.ssh.clientKey) || !nonEmpty(`${hostKey}.pub`) || !nonEmpty(config.ssh.knownHosts))
    return undefined;
  return {
    host: '127.0.0.1',
    port,
    user,
    privateKeyPath: config.ssh.clientKey,
    hostKeyFingerprint: await hostKeyFingerprint(`${hostKey}.pub`),
    knownHostsPath: config.ssh.knownHosts,
  };
}
