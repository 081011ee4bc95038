/**
 * The systemd method's host: Debian bookworm (cached debootstrap root) booted by systemd as PID 1
 * in a container on the host network, sshd on 127.0.0.1:2223 for root (key only), carrying Node 24
 * at /usr/local/bin/node and Caddy at /usr/bin/caddy (no caddy.service: tests install their own units).
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { caddyBinary } from './caddy-binary.ts';
import type { Component, Context } from './component.ts';
import type { TestEnvConfig } from './config.ts';
import {
  containerInspect,
  containerLogTail,
  dockerPing,
  execIn,
  imageId,
  imageLabel,
  importRootfs,
  pruneReplacedImages,
  removeContainer,
  removeImage,
  requireDocker,
} from './docker-client.ts';
import { installInto, readText, sha256, withTemporaryDir } from './files.ts';
import { indent, log, TestEnvError } from './log.ts';
import { fileStamp, nodeBinary, nodeStamp, sharedLibraries } from './node-binary.ts';
import { runChecked } from './shell.ts';
import {
  ensureClientKey,
  keygenOnce,
  passwordRefused,
  sshAs,
  sshEnvFields,
  writeKnownHosts,
} from './ssh-keys.ts';
import { ensureRootfs, rootfsTarball } from './systemd-rootfs.ts';
import { portTaken, waitUntil } from './wait.ts';

/** The sshd drop-in of the image. */
export function renderSystemdHostSshdConfig(port: number): string {
  return `# Written by scripts/test-env.sh (berth/systemd-host image).
Port ${port}
ListenAddress 127.0.0.1
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthenticationMethods publickey
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxStartups 50:30:100
MaxSessions 50
`;
}

/** Units a container needs no getty or udev for. */
const MASKED_UNITS = [
  'getty@tty1.service',
  'console-getty.service',
  'systemd-udevd.service',
  'systemd-udev-trigger.service',
  'systemd-modules-load.service',
  'sys-kernel-config.mount',
  'sys-kernel-debug.mount',
];

/** Copies a binary and the libraries it needs that the root lacks. */
async function installBinary(root: string, binary: string, path: string): Promise<void> {
  installInto(root, binary, path, 0o755);
  for (const library of await sharedLibraries(binary)) {
    if (!existsSync(join(root, library))) installInto(root, library, library, 0o755);
  }
}

async function build(context: Context, hash: string, node: string, caddy: string): Promise<void> {
  const { config } = context;
  const { hostKey, port, nodePath, caddyPath } = config.systemdHost;
  await withTemporaryDir(async (root) => {
    await runChecked('tar', ['-C', root, '-xzf', rootfsTarball(config)]);
    await runChecked('sh', ['-c', 'rm -f "$1"/etc/ssh/ssh_host_*', 'sh', root]);
    copyFileSync(hostKey, join(root, 'etc/ssh/ssh_host_ed25519_key'));
    chmodSync(join(root, 'etc/ssh/ssh_host_ed25519_key'), 0o600);
    copyFileSync(`${hostKey}.pub`, join(root, 'etc/ssh/ssh_host_ed25519_key.pub'));
    writeFileSync(join(root, 'etc/ssh/sshd_config.d/berth-test.conf'), renderSystemdHostSshdConfig(port));
    mkdirSync(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
    chmodSync(join(root, 'root/.ssh'), 0o700);
    copyFileSync(`${config.ssh.clientKey}.pub`, join(root, 'root/.ssh/authorized_keys'));
    chmodSync(join(root, 'root/.ssh/authorized_keys'), 0o600);
    await installBinary(root, node, nodePath);
    await installBinary(root, caddy, caddyPath);
    // Start sshd at boot; mask what a container does not need.
    const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
    mkdirSync(wants, { recursive: true });
    rmSync(join(wants, 'ssh.service'), { force: true });
    symlinkSync('/lib/systemd/system/ssh.service', join(wants, 'ssh.service'));
    for (const unit of MASKED_UNITS) {
      rmSync(join(root, 'etc/systemd/system', unit), { force: true });
      symlinkSync('/dev/null', join(root, 'etc/systemd/system', unit));
    }
    writeFileSync(join(root, 'etc/hostname'), 'berth-systemd-host\n');
    writeFileSync(join(root, 'etc/machine-id'), '');
    await importRootfs(context.docker, root, config.images.systemdHost, [
      'ENV container=docker',
      'CMD ["/sbin/init"]',
      `LABEL ${config.images.hashLabel}=${hash}`,
    ]);
  });
}

async function running(context: Context): Promise<Awaited<ReturnType<typeof containerInspect>>> {
  const inspected = await containerInspect(context.docker, context.config.systemdHost.container);
  return inspected?.State.Running === true ? inspected : undefined;
}

async function booted(context: Context): Promise<boolean> {
  try {
    const state = (
      await execIn(context.docker, context.config.systemdHost.container, ['systemctl', 'is-system-running'])
    ).stdout.trim();
    return state === 'running' || state === 'degraded';
  } catch {
    return false;
  }
}

async function start(context: Context): Promise<void> {
  const { container, port } = context.config.systemdHost;
  const image = context.config.images.systemdHost;
  await removeContainer(context.docker, container);
  if (await portTaken(port)) {
    throw new TestEnvError(
      `something else listens on 127.0.0.1:${port}; stop it or set BERTH_SYSTEMD_HOST_SSH_PORT`,
    );
  }
  log(`starting ${container} (${image}, systemd as PID 1, sshd on 127.0.0.1:${port})`);
  // --privileged does not work here; these capabilities and options are enough for systemd.
  const created = await context.docker.createContainer({
    name: container,
    Hostname: 'berth-systemd-host',
    Image: image,
    Cmd: ['/sbin/init'],
    Env: ['container=docker'],
    // CgroupnsMode (Engine API 1.41) is missing from @types/dockerode.
    HostConfig: {
      CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
      NetworkMode: 'host',
      CgroupnsMode: 'host',
      Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      Tmpfs: { '/run': '', '/run/lock': '' },
    } as Docker.HostConfig,
  });
  await created.start();
  if (!(await waitUntil(60, () => booted(context)))) {
    const failed = await execIn(context.docker, container, ['systemctl', '--failed', '--no-legend']).catch(
      () => undefined,
    );
    throw new TestEnvError(
      `systemd in ${container} did not reach running/degraded within 60s\n${indent(failed?.stdout ?? '')}\n${await containerLogTail(context.docker, container)}`,
    );
  }
}

async function selfCheck(config: TestEnvConfig): Promise<void> {
  const { port, nodePath, caddyPath } = config.systemdHost;
  const out = await sshAs(
    config,
    'root',
    port,
    `systemctl is-system-running; readlink /proc/1/exe; ${nodePath} -e "console.log(process.version)"; ${caddyPath} version`,
  );
  if (out === undefined) throw new TestEnvError(`key login as root on 127.0.0.1:${port} failed`);
  const [state, init, node, caddy] = out.trim().split('\n');
  if (
    !(state === 'running' || state === 'degraded') ||
    init !== '/usr/lib/systemd/systemd' ||
    !node?.startsWith('v24.') ||
    !/^v?2\.6\./.test(caddy ?? '')
  ) {
    throw new TestEnvError(
      `the systemd host answered '${out}' (expected running|degraded, systemd as PID 1, node v24, caddy 2.6)`,
    );
  }
  if (!(await passwordRefused(config, 'root', port))) {
    throw new TestEnvError('the systemd host offers more than publickey authentication');
  }
  log(`systemd host self-check passed: systemd ${state}, key login as root, node ${node}, caddy ${caddy}`);
}

async function ensure(context: Context): Promise<void> {
  const { config } = context;
  const { hostKey, container, port } = config.systemdHost;
  await requireDocker(context, 'systemd-host');
  mkdirSync(config.systemdHost.dir, { recursive: true });
  chmodSync(config.ssh.dir, 0o755);
  await ensureClientKey(config);
  await keygenOnce(hostKey, 'berth-test-systemd-host');
  writeKnownHosts(config);
  const tarball = await ensureRootfs(config);
  const node = await nodeBinary(config.images);
  const caddy = await caddyBinary(config);
  const hash = sha256([
    readFileSync(new URL(import.meta.url)),
    tarball.split('/').at(-1) ?? '',
    readText(`${config.ssh.clientKey}.pub`) ?? '',
    readText(`${hostKey}.pub`) ?? '',
    String(port),
    await nodeStamp(node),
    fileStamp(caddy),
  ]);
  const image = config.images.systemdHost;
  let rebuilt = false;
  if ((await imageLabel(context.docker, image, config.images.hashLabel)) !== hash) {
    log(`building ${image} (docker import of the cached root filesystem + sshd, keys, node, caddy)`);
    await build(context, hash, node, caddy);
    await pruneReplacedImages(context.docker, config.images.hashLabel);
    rebuilt = true;
  }
  const current = await running(context);
  if (
    !rebuilt &&
    current !== undefined &&
    current.Image === (await imageId(context.docker, image)) &&
    (await booted(context))
  ) {
    log(`${container} is up (sshd on 127.0.0.1:${port})`);
    if (context.check) await selfCheck(config);
    return;
  }
  await start(context);
  if (!(await waitUntil(15, () => portTaken(port)))) {
    throw new TestEnvError(`sshd in ${container} does not listen on 127.0.0.1:${port}`);
  }
  await selfCheck(config);
}

export const systemdHost: Component = {
  name: 'systemd-host',
  packages: ['docker.io', 'debootstrap', 'openssh-client'],
  ensure,
  async envSections(context) {
    const { config } = context;
    if (
      !(await dockerPing(context.docker)) ||
      (await running(context)) === undefined ||
      !(await booted(context))
    )
      return undefined;
    const fields = await sshEnvFields(config, 'root', config.systemdHost.port, config.systemdHost.hostKey);
    if (fields === undefined) return undefined;
    const { container, nodePath, caddyPath } = config.systemdHost;
    // A host started from an image older than the proxy component has no caddy: say so by leaving it out.
    const hasCaddy =
      (await execIn(context.docker, container, ['test', '-x', caddyPath]).catch(() => undefined))
        ?.exitCode === 0;
    return { systemdHost: { ...fields, container, nodePath, ...(hasCaddy ? { caddyPath } : {}) } };
  },
  async reset(context) {
    if (!(await dockerPing(context.docker))) return;
    if ((await containerInspect(context.docker, context.config.systemdHost.container)) !== undefined) {
      log(`removing the container ${context.config.systemdHost.container}`);
      await removeContainer(context.docker, context.config.systemdHost.container);
    }
    await removeImage(context.docker, context.config.images.systemdHost);
  },
};
