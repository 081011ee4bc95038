/** Turn a config's targets and state into providers and a state store (references resolved). */
import { BerthError, type Provider, type StateStore } from '@berth/core';
import { configError } from './config-error.js';
import type { BerthConfig, TargetConfig } from './config-schema.js';
import { resolveReferences } from './references.js';
import { stateKinds } from './state-kinds.js';
import { targetKinds } from './target-kinds.js';

/** What building a target needs. */
export interface BuildContext {
  file: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Receives every credential value read, for redaction. */
  onSecret: (value: string) => void;
}

const implicitLocal: TargetConfig = { kind: 'local-docker', options: {} };

/** The target config a name refers to (`local` exists unless defined). */
export function targetConfig(config: BerthConfig, name: string): TargetConfig {
  return config.targets[name] ?? implicitLocal;
}

/** Build the provider of target `name`. Option errors become config errors naming the field. */
export async function buildProvider(
  config: BerthConfig,
  name: string,
  context: BuildContext,
): Promise<Provider> {
  const target = targetConfig(config, name);
  if (target.provider) return target.provider;
  const kind = target.kind ?? 'local-docker';
  const path = `targets.${name}.options`;
  const { value, issues } = await resolveReferences(target.options, {
    path,
    baseDir: context.dir,
    env: context.env,
    onValue: context.onSecret,
  });
  if (issues.length > 0) throw configError(context.file, issues);
  try {
    return await targetKinds[kind].create(value as Record<string, unknown>);
  } catch (error) {
    if (BerthError.isInstance(error) && error.code === 'PROVIDER_OPTIONS_INVALID') {
      const found =
        (error.details?.issues as { path: string; message: string; hint: string }[] | undefined) ?? [];
      throw configError(
        context.file,
        found.length > 0
          ? found.map((issue) => ({
              path: `targets.${name}.${issue.path.startsWith('options') ? issue.path : `options.${issue.path}`}`,
              message: issue.message,
              hint: `${issue.hint} (${targetKinds[kind].docs})`,
            }))
          : [{ path, message: error.message, hint: error.hint }],
      );
    }
    throw error;
  }
}

/** Build the state store of the config. */
export async function buildStateStore(config: BerthConfig, context: BuildContext): Promise<StateStore> {
  const { value, issues } = await resolveReferences(config.state.options, {
    path: 'state.options',
    baseDir: context.dir,
    env: context.env,
    onValue: context.onSecret,
  });
  if (issues.length > 0) throw configError(context.file, issues);
  try {
    return await stateKinds[config.state.kind].create(value as Record<string, unknown>, context.dir);
  } catch (error) {
    if (BerthError.isInstance(error)) throw error;
    throw configError(context.file, [
      {
        path: 'state.kind',
        message: (error as Error).message,
        hint: `Install ${stateKinds[config.state.kind].package}, or use kind "file".`,
      },
    ]);
  }
}
