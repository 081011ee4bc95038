/** apt packages: installs the missing ones (apt-get update once per run). */
import { log, TestEnvError } from './log.ts';
import { run, runChecked, succeeds } from './shell.ts';

let updated = false;

const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };

export async function packageInstalled(name: string): Promise<boolean> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's format, not a template.
  const result = await run('dpkg-query', ['-W', '-f=${Status}', name]);
  return result.code === 0 && result.stdout.includes('install ok installed');
}

export async function aptUpdateOnce(): Promise<void> {
  if (updated) return;
  log('apt-get update');
  await runChecked('apt-get', ['update', '-q'], { env: aptEnv });
  updated = true;
}

export async function ensurePackages(names: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const name of new Set(names)) if (!(await packageInstalled(name))) missing.push(name);
  if (missing.length === 0) return;
  if (!(await succeeds('sh', ['-c', 'command -v apt-get']))) {
    throw new TestEnvError(`missing packages ${missing.join(' ')} and no apt-get (Debian is expected)`);
  }
  await aptUpdateOnce();
  log(`installing ${missing.join(' ')}`);
  await runChecked('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], {
    env: aptEnv,
  });
}
