/**
 * The state-store kinds a config can name. `file` is built in; the team stores are separate
 * packages, imported by name when a config uses them, so installing one is all it takes.
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileStateStore, type StateStore } from '@berth/core';
import { awsCredentialsSchema } from './aws-credentials.js';

/** One kind of state store. */
export interface StateKind {
  package: string;
  description: string;
  /** Build the store; `baseDir` is the config file's folder. */
  create(options: Record<string, unknown>, baseDir: string): Promise<StateStore>;
}

/**
 * Import a store package the CLI does not depend on: from the config's folder first (where a
 * project installs it, whatever installed the CLI: npx, a global install, pnpm's strict layout),
 * then from the CLI's own.
 */
async function importStorePackage(packageName: string, baseDir: string): Promise<Record<string, unknown>> {
  let entry: string | undefined;
  try {
    entry = createRequire(join(baseDir, 'berth.config.js')).resolve(packageName);
  } catch {
    // Not beside the config: the CLI's own install may have it.
  }
  if (entry) return (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  try {
    return (await import(packageName)) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      `${packageName} is not installed: run \`npm i ${packageName}\` (or pnpm add) beside the config`,
    );
  }
}

async function optionalStore(
  packageName: string,
  factory: string,
  options: Record<string, unknown>,
  baseDir: string,
): Promise<StateStore> {
  const module = await importStorePackage(packageName, baseDir);
  const create = module[factory];
  if (typeof create !== 'function') throw new Error(`${packageName} does not export ${factory}()`);
  return (await create(options)) as StateStore;
}

/** Every state-store kind, by the name a config uses in `state.kind`. */
export const stateKinds = {
  file: {
    package: '@berth/core',
    description:
      'JSON files in a folder (default `.deployment/` beside the config); one machine or a shared disk',
    create: async (options, baseDir) =>
      fileStateStore({
        dir: resolve(baseDir, typeof options.dir === 'string' ? options.dir : '.deployment'),
      }),
  },
  postgres: {
    package: '@berth/state-postgres',
    description:
      'a PostgreSQL database shared by a team and its CI (`postgresStateStore(options)`: `connectionString` by reference, e.g. `{ fromEnv: "DATABASE_URL" }`, `schema`)',
    create: (options, baseDir) =>
      optionalStore('@berth/state-postgres', 'postgresStateStore', options, baseDir),
  },
  s3: {
    package: '@berth/state-s3',
    description:
      'an S3 bucket shared by a team and its CI (`s3StateStore(options)`: `bucket`, `prefix`, `region`, `endpoint`, `forcePathStyle`, `credentials` by reference or the AWS default chain)',
    create: (options, baseDir) =>
      optionalStore(
        '@berth/state-s3',
        's3StateStore',
        options.credentials === undefined
          ? options
          : { ...options, credentials: awsCredentialsSchema.parse(options.credentials) },
        baseDir,
      ),
  },
} satisfies Record<string, StateKind>;

export type StateKindName = keyof typeof stateKinds;
export const stateKindNames = Object.keys(stateKinds) as [StateKindName, ...StateKindName[]];
