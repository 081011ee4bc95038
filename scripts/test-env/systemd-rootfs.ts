/** The systemd host's Debian root filesystem: debootstrap once, cached as a tarball named by its inputs. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestEnvConfig } from './config.ts';
import { nonEmpty, readText, withTemporaryDir } from './files.ts';
import { log, TestEnvError } from './log.ts';
import { runChecked } from './shell.ts';

/** The first Debian URI in apt's sources (one-line `deb` entries or deb822 `URIs:`), else deb.debian.org. */
export function debianMirrorFrom(sources: readonly string[]): string {
  for (const text of sources) {
    for (const line of text.split('\n')) {
      const fields = line.trim().split(/\s+/);
      const uris =
        fields[0] === 'URIs:'
          ? fields.slice(1)
          : fields[0] === 'deb'
            ? [fields.find((field) => field.includes('://'))]
            : [];
      const debian = uris.find((uri) => uri !== undefined && /\/debian\/?$/.test(uri));
      if (debian !== undefined) return debian;
    }
  }
  return 'http://deb.debian.org/debian';
}

export function debianMirror(config: TestEnvConfig): string {
  if (config.systemdHost.debianMirror !== undefined) return config.systemdHost.debianMirror;
  const dir = '/etc/apt/sources.list.d';
  const listed = existsSync(dir) ? readdirSync(dir).sort() : [];
  const files = [
    '/etc/apt/sources.list',
    ...listed.filter((file) => file.endsWith('.sources')).map((file) => join(dir, file)),
    ...listed.filter((file) => file.endsWith('.list')).map((file) => join(dir, file)),
  ];
  return debianMirrorFrom(files.map((file) => readText(file) ?? ''));
}

/** The cached tarball's name: a change of suite, packages or mirror makes a new one (same key as the bash version). */
export function rootfsTarballName(suite: string, include: string, mirror: string): string {
  const key = createHash('sha256')
    .update(`${suite} minbase ${include} ${mirror}\n`)
    .digest('hex')
    .slice(0, 16);
  return `debootstrap-${suite}-minbase-${key}.tar.gz`;
}

export function rootfsTarball(config: TestEnvConfig): string {
  const { suite, include } = config.systemdHost;
  return join(config.cacheDir, rootfsTarballName(suite, include, debianMirror(config)));
}

export async function ensureRootfs(config: TestEnvConfig): Promise<string> {
  const tarball = rootfsTarball(config);
  if (nonEmpty(tarball)) return tarball;
  const { suite, include } = config.systemdHost;
  const mirror = debianMirror(config);
  mkdirSync(config.cacheDir, { recursive: true });
  log(`debootstrap ${suite} (minbase + ${include}) from ${mirror}: a few minutes, once`);
  await withTemporaryDir(async (dir) => {
    try {
      await runChecked('debootstrap', ['--variant=minbase', `--include=${include}`, suite, dir, mirror]);
    } catch (error) {
      throw new TestEnvError(
        `${(error as Error).message}\n(mirror ${mirror}; set BERTH_DEBIAN_MIRROR to use another)`,
      );
    }
    // Downloaded packages are not needed in the image.
    await runChecked('sh', [
      '-c',
      'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*',
      'sh',
      dir,
    ]);
    await runChecked('tar', ['--numeric-owner', '-C', dir, '-czf', `${tarball}.tmp`, '.']);
    renameSync(`${tarball}.tmp`, tarball);
  });
  log(`cached the root filesystem in ${tarball} (${Math.round(statSync(tarball).size / 1e6)} MB)`);
  return tarball;
}
