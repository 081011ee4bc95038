/**
 * Find, read and validate the config file. Every rejection is a `configError` naming the file, the
 * field and the fix; nothing is deployed, read from a provider or written before it passes.
 */
import { access, readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { createJiti } from 'jiti';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { dependencyIssues } from '../run/service-graph.js';
import { configError, toConfigIssues } from './config-error.js';
import { type BerthConfig, berthConfigSchema } from './config-schema.js';
import { literalCredentials } from './references.js';

/** Config file names, in the order they are looked for. */
export const CONFIG_FILE_NAMES = [
  'berth.config.ts',
  'berth.config.mts',
  'berth.config.js',
  'berth.config.mjs',
  'berth.config.json',
  'berth.config.yaml',
  'berth.config.yml',
];

/** A validated config and where it came from. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  file: string;
  /** Its folder: relative paths in the config start here. */
  dir: string;
  config: BerthConfig;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The config file: `explicit` (`--config`) or the first of `CONFIG_FILE_NAMES` in `cwd`. */
export async function findConfigFile(cwd: string, explicit?: string): Promise<string> {
  if (explicit) {
    const file = resolve(cwd, explicit);
    if (!(await exists(file)))
      throw configError(explicit, [
        { path: '', message: 'file not found', hint: 'Check the --config path.' },
      ]);
    return file;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const file = resolve(cwd, name);
    if (await exists(file)) return file;
  }
  throw configError(resolve(cwd, 'berth.config.ts'), [
    {
      path: '',
      message: `no ${CONFIG_FILE_NAMES.slice(0, 1).join('')} (or .json/.yaml) in ${cwd}`,
      hint: 'Run `berth init` to write one, or pass --config PATH.',
    },
  ]);
}

/** Read the raw content of a config file (TS/JS through jiti, JSON, YAML). */
export async function readConfigFile(file: string, selfModule?: string): Promise<unknown> {
  const extension = extname(file);
  const name = basename(file);
  if (extension === '.json' || extension === '.yaml' || extension === '.yml') {
    const text = await readFile(file, 'utf8');
    try {
      return extension === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      const where = error instanceof YAMLParseError ? ` (line ${error.linePos?.[0]?.line ?? '?'})` : '';
      throw configError(file, [
        {
          path: '',
          message: `cannot be parsed${where}: ${(error as Error).message.split('\n')[0]}`,
          hint: `Fix the ${extension === '.json' ? 'JSON' : 'YAML'} syntax of ${name}.`,
        },
      ]);
    }
  }
  const jiti = createJiti(import.meta.url, {
    moduleCache: false,
    interopDefault: true,
    // A config imports `defineConfig` from @berth/cli: it resolves to this CLI, installed or not.
    ...(selfModule ? { alias: { '@berth/cli': selfModule } } : {}),
  });
  try {
    return await jiti.import(file, { default: true });
  } catch (error) {
    throw configError(file, [
      {
        path: '',
        message: `cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
        hint: `Fix the error in ${name}; \`export default defineConfig({ … })\` is expected.`,
      },
    ]);
  }
}

/** Validate raw config content. Pure. */
export function validateConfig(file: string, raw: unknown): BerthConfig {
  const result = berthConfigSchema.safeParse(raw);
  if (!result.success) throw configError(file, toConfigIssues(result.error, raw));
  const config = result.data;
  const issues = [...dependencyIssues(config)];
  const targets = new Set([...Object.keys(config.targets), 'local']);
  const checkTarget = (name: string | undefined, path: string) => {
    if (name !== undefined && !targets.has(name))
      issues.push({
        path,
        message: `names target "${name}", which is not in targets`,
        hint: `Use one of ${[...targets].map((target) => `"${target}"`).join(', ')}, or add targets.${name}.`,
      });
  };
  checkTarget(config.defaults.target, 'defaults.target');
  for (const [key, service] of Object.entries(config.services)) {
    checkTarget(service.target, `services.${key}.target`);
    for (const [environment, override] of Object.entries(service.environments))
      checkTarget(override.target, `services.${key}.environments.${environment}.target`);
  }
  for (const [name, target] of Object.entries(config.targets))
    if (!target.provider) issues.push(...literalCredentials(target.options, `targets.${name}.options`));
  issues.push(...literalCredentials(config.state.options, 'state.options'));
  if (issues.length > 0) throw configError(file, issues);
  return config;
}

/** Find, read and validate the config. */
export async function loadConfig(options: {
  cwd: string;
  file?: string;
  /** The module `@berth/cli` resolves to inside a berth.config.ts. */
  selfModule?: string;
}): Promise<LoadedConfig> {
  const file = await findConfigFile(options.cwd, options.file);
  const raw = await readConfigFile(file, options.selfModule);
  return { file, dir: dirname(file), config: validateConfig(file, raw) };
}
