/** berth/node:24: the Node 24 binary + exactly the libraries ldd lists + a `node` user, via docker import. */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from './component.ts';
import { imageLabel, importRootfs, runToEnd } from './docker-client.ts';
import { installInto, sha256, withTemporaryDir } from './files.ts';
import { log, TestEnvError } from './log.ts';
import { fileStamp, nodeBinary, nodeStamp, sharedLibraries } from './node-binary.ts';

const CA_CERTIFICATES = '/etc/ssl/certs/ca-certificates.crt';

async function build(context: Context, hash: string, node: string): Promise<void> {
  await withTemporaryDir(async (root) => {
    for (const dir of ['etc', 'root', 'tmp', 'home/node']) mkdirSync(join(root, dir), { recursive: true });
    installInto(root, node, '/usr/local/bin/node', 0o755);
    for (const library of await sharedLibraries(node)) installInto(root, library, library, 0o755);
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/home/node:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
    );
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    if (existsSync(CA_CERTIFICATES)) installInto(root, CA_CERTIFICATES, CA_CERTIFICATES, 0o644);
    chownSync(join(root, 'home/node'), 1000, 1000);
    chmodSync(join(root, 'root'), 0o700);
    chmodSync(join(root, 'tmp'), 0o1777);
    await importRootfs(context.docker, root, context.config.images.node, [
      'ENV PATH=/usr/local/bin:/usr/bin:/bin',
      'CMD ["node"]',
      `LABEL ${context.config.images.hashLabel}=${hash}`,
    ]);
  });
}

async function selfCheck(context: Context): Promise<void> {
  const image = context.config.images.node;
  const version = (
    await runToEnd(context.docker, image, ['node', '-e', 'console.log(process.version)'])
  ).stdout.trim();
  if (!version.startsWith('v24.')) throw new TestEnvError(`${image} printed '${version}', expected v24.x`);
  const user = (
    await runToEnd(
      context.docker,
      image,
      ['node', '-e', 'console.log(require("node:os").userInfo().username)'],
      { user: 'node' },
    )
  ).stdout.trim();
  if (user !== 'node') throw new TestEnvError(`${image} -u node runs as '${user}'`);
  log(`${image} runs node ${version} (also as user node)`);
}

export async function ensureNodeImage(context: Context): Promise<void> {
  const image = context.config.images.node;
  const node = await nodeBinary(context.config.images);
  const hash = sha256([
    readFileSync(new URL(import.meta.url)),
    await nodeStamp(node),
    existsSync(CA_CERTIFICATES) ? fileStamp(CA_CERTIFICATES) : '',
  ]);
  if ((await imageLabel(context.docker, image, context.config.images.hashLabel)) !== hash) {
    log(`building ${image} (docker import of ${node} + its shared libraries)`);
    await build(context, hash, node);
    await selfCheck(context);
  } else if (context.check) {
    await selfCheck(context);
  } else {
    log(`${image} is up to date`);
  }
}
