/**
 * A second sshd of our own on 127.0.0.1 (the docker method's host): this machine and its engine,
 * as the system user `berth` (group docker, owns /opt/berth), key authentication only.
 */
import { chmodSync, chownSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import type { Component, Context } from './component.ts';
import type { TestEnvConfig } from './config.ts';
import { readText, writeIfChanged } from './files.ts';
import { log, TestEnvError } from './log.ts';
import { run, runChecked, succeeds } from './shell.ts';
import {
  ensureClientKey,
  keygenOnce,
  passwordRefused,
  sshAs,
  sshEnvFields,
  writeKnownHosts,
} from './ssh-keys.ts';
import { userIds } from './users.ts';
import { pidAlive, pidFromFile, pidIs, portTaken, waitUntil } from './wait.ts';

/** sshd_config (byte for byte what the bash version wrote, so an upgrade restarts nothing). */
export function renderSshdConfig(config: TestEnvConfig['sshd']): string {
  return `# Written by scripts/test-env.sh: edits are overwritten.
Port ${config.port}
ListenAddress 127.0.0.1
HostKey ${config.hostKey}
PidFile ${config.pidFile}
AuthorizedKeysFile ${config.authorizedKeys}
AllowUsers ${config.user}
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
AuthenticationMethods publickey
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
ClientAliveInterval 30
# Integration tests open many short connections at once.
MaxStartups 50:30:100
MaxSessions 50
LogLevel VERBOSE
Subsystem sftp internal-sftp
`;
}

const running = (config: TestEnvConfig): boolean => pidIs(pidFromFile(config.sshd.pidFile), 'sshd');

/** A system user in group docker that owns the default base folder /opt/berth. */
async function ensureUser(config: TestEnvConfig): Promise<void> {
  const { user, baseDir } = config.sshd;
  if (!(await succeeds('getent', ['passwd', user]))) {
    log(`creating the user ${user} (group docker, home /home/${user})`);
    await runChecked('useradd', [
      '--system',
      '--create-home',
      '--home-dir',
      `/home/${user}`,
      '--shell',
      '/bin/bash',
      user,
    ]);
  }
  if (!(await succeeds('getent', ['group', 'docker']))) await runChecked('groupadd', ['--system', 'docker']);
  const groups = (await runChecked('id', ['-nG', user])).trim().split(/\s+/);
  if (!groups.includes('docker')) await runChecked('usermod', ['-aG', 'docker', user]);
  // "*" (no password, not locked): with UsePAM no, sshd refuses accounts whose password is "!".
  const shadow = (await run('getent', ['shadow', user])).stdout.split(':')[1];
  if (shadow !== '*') await runChecked('usermod', ['-p', '*', user]);
  mkdirSync(baseDir, { recursive: true });
  const { uid, gid } = await userIds(user);
  chownSync(baseDir, uid, gid);
}

async function stop(context: Context): Promise<void> {
  const { pidFile } = context.config.sshd;
  const pid = pidFromFile(pidFile);
  if (pidIs(pid, 'sshd')) {
    log(`stopping the test sshd (pid ${pid})`);
    process.kill(pid as number, 'SIGTERM');
    if (!(await waitUntil(10, () => !pidAlive(pid))))
      throw new TestEnvError(`sshd (pid ${pid}) did not stop within 10s`);
  }
  rmSync(pidFile, { force: true });
}

async function selfCheck(config: TestEnvConfig): Promise<void> {
  const { user, port, baseDir, log: logFile } = config.sshd;
  const out = await sshAs(
    config,
    user,
    port,
    `id -un; test -w /var/run/docker.sock && echo docker-ok; test -w ${baseDir} && echo base-ok`,
  );
  if (out === undefined)
    throw new TestEnvError(`key login as ${user} on 127.0.0.1:${port} failed (log: ${logFile})`);
  if (out.trim() !== `${user}\ndocker-ok\nbase-ok`) {
    throw new TestEnvError(
      `on the test sshd, expected user, docker socket and ${baseDir} access; got: ${out}`,
    );
  }
  if (!(await passwordRefused(config, user, port)))
    throw new TestEnvError('the test sshd offers more than publickey authentication');
  log(`sshd self-check passed: key login as ${user}, docker socket writable, passwords refused`);
}

async function ensure(context: Context): Promise<void> {
  const { config } = context;
  const sshd = config.sshd;
  if (!(await succeeds('sh', ['-c', 'command -v sshd || test -x /usr/sbin/sshd']))) {
    throw new TestEnvError('sshd not found after installing openssh-server');
  }
  mkdirSync(sshd.dir, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });
  chmodSync(config.ssh.dir, 0o755);
  chmodSync(sshd.dir, 0o755);
  await ensureClientKey(config);
  await ensureUser(config);
  await keygenOnce(sshd.hostKey, 'berth-test-sshd');
  let restart = false;
  if (readText(`${config.ssh.clientKey}.pub`) !== readText(sshd.authorizedKeys)) {
    copyFileSync(`${config.ssh.clientKey}.pub`, sshd.authorizedKeys);
    chmodSync(sshd.authorizedKeys, 0o644);
    restart = true;
  }
  if (writeIfChanged(sshd.config, renderSshdConfig(sshd), 0o644)) restart = true;
  writeKnownHosts(config);

  if (running(config) && !restart) {
    log(`test sshd answers on 127.0.0.1:${sshd.port} (pid ${pidFromFile(sshd.pidFile)})`);
    if (context.check) await selfCheck(config);
    return;
  }
  await stop(context);
  if (await portTaken(sshd.port)) {
    throw new TestEnvError(
      `something else listens on 127.0.0.1:${sshd.port}; stop it or set BERTH_SSHD_PORT`,
    );
  }
  await runChecked('/usr/sbin/sshd', ['-t', '-f', sshd.config], {
    what: `sshd -t (sshd rejects ${sshd.config})`,
  });
  log(`starting sshd on 127.0.0.1:${sshd.port} (log: ${sshd.log})`);
  // sshd detaches and writes its pid file once it listens.
  await runChecked('/usr/sbin/sshd', ['-f', sshd.config, '-E', sshd.log], {
    what: `sshd (log: ${sshd.log})`,
  });
  if (!(await waitUntil(10, () => running(config))))
    throw new TestEnvError(`sshd did not write ${sshd.pidFile} (log: ${sshd.log})`);
  if (!(await waitUntil(10, () => portTaken(sshd.port)))) {
    throw new TestEnvError(`sshd does not listen on 127.0.0.1:${sshd.port} (log: ${sshd.log})`);
  }
  await selfCheck(config);
}

export const sshd: Component = {
  name: 'sshd',
  packages: ['openssh-server', 'openssh-client', 'rsync'], // rsync: the SSH bench's comparison
  ensure,
  async envSections({ config }) {
    if (!running(config)) return undefined;
    const fields = await sshEnvFields(config, config.sshd.user, config.sshd.port, config.sshd.hostKey);
    if (fields === undefined) return undefined;
    return { sshd: { ...fields, dockerSocketPath: config.docker.socketPath, baseDir: config.sshd.baseDir } };
  },
  reset: stop,
};
