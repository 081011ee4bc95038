/**
 * The test environment (docs/test-environment.md): `node scripts/test-env/main.ts [--only a,b] [--check] [--reset]`,
 * usually through `bash scripts/test-env.sh`. Parses the arguments, takes the lock, installs the apt
 * packages the selected components need, runs each component's `ensure`, then writes the env file
 * with every component that is up.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePackages } from './apt.ts';
import { parseArguments, USAGE } from './args.ts';
import type { Context } from './component.ts';
import { ALWAYS_PACKAGES, COMPONENTS } from './components.ts';
import { loadConfig } from './config.ts';
import { dockerClient } from './docker-client.ts';
import { buildEnvFile, renderEnvFile, writeEnvFile } from './env-file.ts';
import { acquireLock } from './lock.ts';
import { log, TestEnvError, warn } from './log.ts';
import { resetEnvironment } from './reset.ts';

const names = COMPONENTS.map((component) => component.name);

async function main(argv: readonly string[]): Promise<void> {
  const started = Date.now();
  const args = parseArguments(argv, names);
  if (args.help) {
    process.stdout.write(`${USAGE.replace('COMPONENTS', names.join(', '))}\n`);
    return;
  }
  if (process.getuid?.() !== 0) {
    throw new TestEnvError(
      'run as root (sudo bash scripts/test-env.sh): it installs packages and starts dockerd',
    );
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const config = loadConfig(process.env, repoRoot);
  const context: Context = { config, docker: dockerClient(config.docker.socketPath), check: args.check };
  const release = await acquireLock(config.lockFile, 900);
  try {
    if (args.reset) {
      await resetEnvironment(context, COMPONENTS);
      return;
    }
    const selected = COMPONENTS.filter((component) => args.selected.includes(component.name));
    await ensurePackages([...ALWAYS_PACKAGES, ...selected.flatMap((component) => component.packages)]);
    for (const component of selected) await component.ensure(context);

    const contributions = [];
    for (const component of COMPONENTS) {
      const sections = component.envSections === undefined ? {} : await component.envSections(context);
      contributions.push({ component: component.name, sections, extends: component.extends });
    }
    const { json, missing } = buildEnvFile(contributions, new Date());
    writeEnvFile(config.envFile, renderEnvFile(json));
    if (missing.length > 0) warn(`wrote ${config.envFile} without: ${missing.join(' ')} (not up)`);
    else log(`wrote ${config.envFile}`);
    log(`ready in ${Math.round((Date.now() - started) / 1000)}s`);
  } finally {
    release();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const message =
      error instanceof TestEnvError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`test-env: ERROR: ${message}\n`);
    process.exit(1);
  },
);
