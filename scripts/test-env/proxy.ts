/**
 * berth/caddy:2.6, the reverse proxy image (issue 16), via docker import: Debian's `/usr/bin/caddy`
 * with the libraries ldd lists, CA certificates, a minimal /etc/passwd, /tmp, /data and /config.
 * Listed in the env file as `images.caddy`.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { caddyBinary } from './caddy-binary.ts';
import type { Component, Context } from './component.ts';
import {
  dockerPing,
  imageLabel,
  imagesExist,
  importRootfs,
  pruneReplacedImages,
  removeImage,
  requireDocker,
  runToEnd,
} from './docker-client.ts';
import { installInto, sha256, withTemporaryDir } from './files.ts';
import { log, TestEnvError } from './log.ts';
import { fileStamp, sharedLibraries } from './node-binary.ts';

const CA_CERTIFICATES = '/etc/ssl/certs/ca-certificates.crt';

/** The image's configuration (`docker import --change` lines). */
export function caddyImageChanges(hashLabel: string, hash: string): string[] {
  return [
    'ENV PATH=/usr/bin:/bin',
    'ENV XDG_DATA_HOME=/data',
    'ENV XDG_CONFIG_HOME=/config',
    // No config: Caddy starts empty with its admin API on localhost:2019; the proxy loads its config there.
    'CMD ["caddy", "run"]',
    `LABEL ${hashLabel}=${hash}`,
  ];
}

async function build(context: Context, hash: string, caddy: string): Promise<void> {
  await withTemporaryDir(async (root) => {
    for (const dir of ['etc', 'root', 'tmp', 'data', 'config'])
      mkdirSync(join(root, dir), { recursive: true });
    installInto(root, caddy, '/usr/bin/caddy', 0o755);
    for (const library of await sharedLibraries(caddy)) installInto(root, library, library, 0o755);
    if (!existsSync(CA_CERTIFICATES))
      throw new TestEnvError(`${CA_CERTIFICATES} is missing; install ca-certificates`);
    installInto(root, CA_CERTIFICATES, CA_CERTIFICATES, 0o644);
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
    );
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    chmodSync(join(root, 'root'), 0o700);
    chmodSync(join(root, 'tmp'), 0o1777);
    await importRootfs(
      context.docker,
      root,
      context.config.images.caddy,
      caddyImageChanges(context.config.images.hashLabel, hash),
    );
  });
}

async function selfCheck(context: Context): Promise<void> {
  const image = context.config.images.caddy;
  const result = await runToEnd(context.docker, image, ['caddy', 'version']);
  const version = result.stdout.trim();
  if (result.exitCode !== 0 || !/^v?2\.6\./.test(version)) {
    throw new TestEnvError(
      `${image}: caddy version printed '${version}${result.stderr.trim()}' (exit ${result.exitCode}), expected 2.6.x`,
    );
  }
  log(`${image} runs caddy ${version}`);
}

/**
 * The proxy hosts of the tests (this machine's network namespace: the local engine's host network,
 * the SSH docker host and the systemd host) hand a closing listener's queued connections to its
 * successor, as docs/providers/local-docker.md#proxy-mode tells users to: Caddy replaces its listening
 * sockets on every config change, and without this a connection accepted at that instant is reset.
 */
const MIGRATE_SETTING = '/proc/sys/net/ipv4/tcp_migrate_req';

function migrateQueuedConnections(): void {
  if (!existsSync(MIGRATE_SETTING))
    throw new TestEnvError(`${MIGRATE_SETTING} is missing: the proxy tests need Linux 5.14 or later`);
  if (readFileSync(MIGRATE_SETTING, 'utf8').trim() === '1') return;
  writeFileSync(MIGRATE_SETTING, '1\n');
  log('set net.ipv4.tcp_migrate_req=1 (queued connections survive the proxy switching its listeners)');
}

export const proxy: Component = {
  name: 'proxy',
  packages: ['docker.io', 'ca-certificates'],
  extends: ['images'],
  async ensure(context) {
    await requireDocker(context, 'proxy');
    migrateQueuedConnections();
    const image = context.config.images.caddy;
    const caddy = await caddyBinary(context.config);
    const libraries = await sharedLibraries(caddy);
    const hash = sha256([
      readFileSync(new URL(import.meta.url)),
      fileStamp(caddy),
      ...libraries.map((library) => `${library} ${fileStamp(library)}`),
      fileStamp(CA_CERTIFICATES),
    ]);
    if ((await imageLabel(context.docker, image, context.config.images.hashLabel)) !== hash) {
      log(`building ${image} (docker import of Debian's caddy + its shared libraries)`);
      await build(context, hash, caddy);
      await selfCheck(context);
      await pruneReplacedImages(context.docker, context.config.images.hashLabel);
    } else if (context.check) {
      await selfCheck(context);
    } else {
      log(`${image} is up to date`);
    }
  },
  async envSections(context) {
    const { caddy } = context.config.images;
    if (!(await imagesExist(context, [caddy]))) return undefined;
    return { images: { caddy } };
  },
  async reset(context) {
    if (await dockerPing(context.docker)) await removeImage(context.docker, context.config.images.caddy);
  },
};
