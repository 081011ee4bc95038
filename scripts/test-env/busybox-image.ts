/** berth/busybox:test: `FROM scratch` + the static busybox + one symlink per applet, via docker import. */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Context } from './component.ts';
import { imageLabel, importRootfs, runToEnd } from './docker-client.ts';
import { sha256, withTemporaryDir } from './files.ts';
import { log, TestEnvError } from './log.ts';
import { run, runChecked } from './shell.ts';

const BUSYBOX = '/bin/busybox';
const CHECKED_APPLETS = 'sh httpd nc wget sleep cat env sed';

async function busyboxApplets(): Promise<string[]> {
  if (!existsSync(BUSYBOX)) throw new TestEnvError(`${BUSYBOX} is missing; install busybox-static`);
  if ((await run('ldd', [BUSYBOX])).code === 0) {
    throw new TestEnvError(`${BUSYBOX} is dynamically linked; install busybox-static`);
  }
  const list = await runChecked(BUSYBOX, ['--list-full']);
  return list
    .split('\n')
    .filter((applet) => applet !== '' && applet !== 'bin/busybox' && applet !== 'linuxrc');
}

async function build(context: Context, hash: string, applets: readonly string[]): Promise<void> {
  await withTemporaryDir(async (root) => {
    for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'home', 'var/tmp']) {
      mkdirSync(join(root, dir), { recursive: true });
    }
    copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    for (const applet of applets) {
      if (!existsSync(join(root, applet))) symlinkSync('/bin/busybox', join(root, applet));
    }
    writeFileSync(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
    );
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    chmodSync(join(root, 'root'), 0o700);
    chmodSync(join(root, 'tmp'), 0o1777);
    chmodSync(join(root, 'var/tmp'), 0o1777);
    await importRootfs(context.docker, root, context.config.images.busybox, [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'CMD ["sh"]',
      `LABEL ${context.config.images.hashLabel}=${hash}`,
    ]);
  });
}

async function selfCheck(context: Context): Promise<void> {
  const script = `for a in ${CHECKED_APPLETS}; do command -v $a >/dev/null || exit 1; done; echo ok`;
  const result = await runToEnd(context.docker, context.config.images.busybox, ['sh', '-c', script]);
  if (result.stdout.trim() !== 'ok') {
    throw new TestEnvError(
      `${context.config.images.busybox} does not run (${result.stdout}${result.stderr})`,
    );
  }
}

let ensured = false;

/** (Re)builds the busybox image when missing or when its sources changed; once per run. */
export async function ensureBusyboxImage(context: Context): Promise<void> {
  if (ensured) return;
  const applets = await busyboxApplets();
  const hash = sha256([readFileSync(new URL(import.meta.url)), readFileSync(BUSYBOX), applets.join('\n')]);
  const image = context.config.images.busybox;
  if ((await imageLabel(context.docker, image, context.config.images.hashLabel)) !== hash) {
    log(`building ${image} (docker import of ${BUSYBOX} + applet symlinks)`);
    await build(context, hash, applets);
    await selfCheck(context);
    log(`built ${image}`);
  } else if (context.check) {
    await selfCheck(context);
  }
  ensured = true;
}
