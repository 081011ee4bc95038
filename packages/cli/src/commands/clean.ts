/** `berth clean`: remove `.deployment/` (state, history and logs of this folder). Asks first unless --yes. */
import { readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { findConfigFile } from '../config/load-config.js';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import { type CommandEnvironment, usageError } from '../session.js';

export async function clean(
  environment: CommandEnvironment,
  options: { yes: boolean; json: boolean; config?: string },
): Promise<ExitCode> {
  const { io } = environment;
  const base = await findConfigFile(io.cwd, options.config).then(dirname, () => io.cwd);
  const target = join(base, '.deployment');
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
      'State and history of services deployed from here are forgotten (running services keep running; run berth down first to remove them).',
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
