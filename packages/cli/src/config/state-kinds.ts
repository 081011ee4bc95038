/**
 * The state-store kinds a config can name. `file` is built in; the team stores are separate
 * packages, imported by name when a config uses them, so installing one is all it takes.
 */
import { resolve } from 'node:path';
import { fileStateStore, type StateStore } from '@berth/core';

/** One kind of state store. */
export interface StateKind {
  package: string;
  description: string;
  /** Build the store; `baseDir` is the config file's folder. */
  create(options: Record<string, unknown>, baseDir: string): Promise<StateStore>;
}

/** Import a store package the CLI does not depend on; `undefined` when it is not installed. */
async function optionalStore(
  packageName: string,
  factory: string,
  options: Record<string, unknown>,
): Promise<StateStore> {
  let module: Record<string, unknown>;
  try {
    module = (await import(packageName)) as Record<string, unknown>;
  } catch {
    throw new Error(
      `${packageName} is not installed: run \`pnpm add ${packageName}\` (or npm i) beside the config`,
    );
  }
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
    description: 'a PostgreSQL database shared by a team and its CI (`postgresStateStore(options)`)',
    create: (options) => optionalStore('@berth/state-postgres', 'postgresStateStore', options),
  },
  s3: {
    package: '@berth/state-s3',
    description: 'an S3 bucket shared by a team and its CI (`s3StateStore(options)`)',
    create: (options) => optionalStore('@berth/state-s3', 's3StateStore', options),
  },
} satisfies Record<string, StateKind>;

export type StateKindName = keyof typeof stateKinds;
export const stateKindNames = Object.keys(stateKinds) as [StateKindName, ...StateKindName[]];
