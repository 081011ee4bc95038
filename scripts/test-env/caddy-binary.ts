/**
 * Caddy for the proxy image and the systemd host: `/usr/bin/caddy` taken from Debian's `caddy`
 * package (`apt-get download` + `dpkg-deb -x`, cached; the package is never installed here).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { aptUpdateOnce } from './apt.ts';
import type { TestEnvConfig } from './config.ts';
import { withTemporaryDir } from './files.ts';
import { log, TestEnvError } from './log.ts';
import { run, runChecked } from './shell.ts';

/** The `.deb` that `apt-get download` saved, if any (`caddy_2.6.2-5_amd64.deb`). */
export function caddyDebIn(files: readonly string[]): string | undefined {
  return files
    .filter((file) => /^caddy_.+\.deb$/.test(file))
    .sort()
    .at(-1);
}

/** Downloads and unpacks the package once into the cache; returns the path of the `caddy` binary. */
export async function caddyBinary(config: TestEnvConfig): Promise<string> {
  const dir = join(config.cacheDir, 'caddy');
  const binary = join(dir, 'root/usr/bin/caddy');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  let deb = caddyDebIn(readdirSync(dir));
  if (deb === undefined) {
    log(`apt-get download caddy (into ${dir}; not installed)`);
    let download = await run('apt-get', ['download', 'caddy'], { cwd: dir });
    if (download.code !== 0) {
      await aptUpdateOnce();
      download = await run('apt-get', ['download', 'caddy'], { cwd: dir });
    }
    deb = caddyDebIn(readdirSync(dir));
    if (download.code !== 0 || deb === undefined) {
      throw new TestEnvError(`apt-get download caddy failed: ${download.stderr.trim()}`);
    }
  }
  await withTemporaryDir(async (unpacked) => {
    await runChecked('dpkg-deb', ['-x', join(dir, deb), unpacked]);
    if (!existsSync(join(unpacked, 'usr/bin/caddy'))) throw new TestEnvError(`${deb} holds no usr/bin/caddy`);
    rmSync(join(dir, 'root'), { recursive: true, force: true });
    mkdirSync(join(dir, 'root/usr/bin'), { recursive: true });
    renameSync(join(unpacked, 'usr/bin/caddy'), binary);
  });
  return binary;
}
