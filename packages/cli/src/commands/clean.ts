/** `berth clean`: remove `.deployment/` (state, history and logs of this folder). Asks first unless --yes. */
import { readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { findConfigFile, loadConfig } from '../config/load-config.js';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import { type CommandEnvironment, usageError } from '../session.js';

/** Where the config keeps state when it is not `.deployment/` (a team store, another folder); `undefined` otherwise. */
async function whereStateStays(environment: CommandEnvironment, file: string | undefined) {
  if (!file) return undefined;
  try {
    const { config } = await loadConfig({
      cwd: environment.io.cwd,
      file,
      ...(environment.selfModule ? { selfModule: environment.selfModule } : {}),
    });
    if (config.state.kind !== 'file') return `the ${config.state.kind} store`;
    const dir = config.state.options.dir;
    if (typeof dir === 'string' && resolve(dirname(file), dir) !== join(dirname(file), '.deployment'))
      return `${resolve(dirname(file), dir)} (state.options.dir)`;
  } catch {
    // An invalid config: clean still works on the folder.
  }
  return undefined;
}

export async function clean(
  environment: CommandEnvironment,
  options: { yes: boolean; json: boolean; config?: string },
): Promise<ExitCode> {
  const { io } = environment;
  const file = await findConfigFile(io.cwd, options.config).catch(() => undefined);
  const base = file ? dirname(file) : io.cwd;
  const target = join(base, '.deployment');
  const keeps = await whereStateStays(environment, file);
  const out = (text: string) => (options.json ? io.stderr : io.stdout).write(`${text}\n`);
  const present = await stat(target).then(
    () => true,
    () => false,
  );
  if (!present) {
    if (options.json) io.stdout.write(`${JSON.stringify({ type: 'clean', removed: [], path: target })}\n`);
    else out(`nothing to clean: ${target} does not exist`);
    return EXIT.ok;
  }
  const entries = await readdir(target);
  if (!options.yes) {
    if (!io.confirm)
      throw usageError(
        '--yes',
        `clean would remove ${target} and no terminal can confirm it`,
        'Pass --yes to remove it without asking.',
      );
    out(`This removes ${target}: ${entries.join(', ')}`);
    out(
      keeps
        ? `State and history stay in ${keeps}. Running services keep running.`
        : 'State and history of services deployed from here are forgotten (running services keep running; run berth down first to remove them).',
    );
    if (!(await io.confirm('Remove it? [y/N] '))) {
      out('kept');
      return EXIT.ok;
    }
  }
  await rm(target, { recursive: true, force: true });
  if (options.json) io.stdout.write(`${JSON.stringify({ type: 'clean', removed: entries, path: target })}\n`);
  else out(`removed ${target}`);
  return EXIT.ok;
}
