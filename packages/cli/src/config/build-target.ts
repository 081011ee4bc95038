/** Turn a config's targets and state into providers and a state store (references resolved). */
import { BerthError, type Provider, type StateStore, type ValidationIssue } from '@berth/core';
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
    // `appRunner(options)` → `appRunner`, the prefix of its issue paths.
    const issues = optionIssues(error, targetKinds[kind].factory.split('(')[0]);
    if (!issues) throw error;
    const docs = targetKinds[kind].docs;
    throw configError(
      context.file,
      issues.length > 0
        ? issues.map((issue) => ({
            path: `${path}${issue.path ? `.${issue.path}` : ''}`,
            message: issue.message,
            hint: issue.hint.includes(docs) ? issue.hint : `${issue.hint} (${docs})`,
          }))
        : [{ path, message: (error as BerthError).message, hint: (error as BerthError).hint ?? docs }],
    );
  }
}

/**
 * The option issues of a factory's rejection (`PROVIDER_OPTIONS_INVALID`, or a `ValidationError` of
 * its options), with paths relative to `options`: a factory prefixes them with `options.` or its own
 * name (`appRunner.region`). `undefined` for other errors.
 */
export function optionIssues(error: unknown, factory?: string): ValidationIssue[] | undefined {
  if (!BerthError.isInstance(error)) return undefined;
  if (error.code !== 'PROVIDER_OPTIONS_INVALID' && error.code !== 'SPEC_INVALID') return undefined;
  const found = (error.details?.issues as ValidationIssue[] | undefined) ?? [];
  const prefixes = ['options.', ...(factory ? [`${factory}.`] : [])];
  return found.map((issue) => {
    const prefix = prefixes.find((candidate) => issue.path.startsWith(candidate));
    return { ...issue, path: prefix ? issue.path.slice(prefix.length) : issue.path };
  });
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
  const kind = stateKinds[config.state.kind];
  try {
    return await kind.create(value as Record<string, unknown>, context.dir);
  } catch (error) {
    // A store's factory does no I/O: whatever it rejects is the config's options (or a missing package).
    const issues = optionIssues(error);
    throw configError(
      context.file,
      issues && issues.length > 0
        ? issues.map((issue) => ({ ...issue, path: `state.options.${issue.path}` }))
        : [
            {
              path: BerthError.isInstance(error) ? 'state.options' : 'state.kind',
              message: (error as Error).message,
              hint: BerthError.isInstance(error)
                ? (error.hint ?? 'See docs/state.md.')
                : `Install ${kind.package}, or use kind "file".`,
            },
          ],
    );
  }
}
