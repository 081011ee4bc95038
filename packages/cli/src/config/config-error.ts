import { BerthError, type ValidationIssue } from '@berth/core';
import type { z } from 'zod';

/** Where the config reference lives; every config error points there. */
export const CONFIG_DOCS = 'docs/cli.md#config-reference';

/**
 * A rejected config: the message names the file and each field; the hint says how to fix each one.
 * Code `SPEC_INVALID` (the config is the specs of its services); the CLI exits with 2.
 */
export function configError(file: string, issues: ValidationIssue[]): BerthError {
  const lines = issues.map((issue) =>
    !issue.path || issue.path === file
      ? `${file}: ${issue.message}`
      : `${file}: ${issue.path}: ${issue.message}`,
  );
  // A flag (`--env`) is the command line's fault, not the config file's.
  const title = file.startsWith('--') ? 'Invalid command line' : 'Invalid config';
  return new BerthError('SPEC_INVALID', `${title}:\n  ${lines.join('\n  ')}`, {
    hint: issues
      .map((issue) => (issue.path && issue.path !== file ? `${issue.path}: ${issue.hint}` : issue.hint))
      .join('\n'),
    details: { file, issues, config: true },
  });
}

/** True for errors `configError` made. */
export function isConfigError(error: unknown): error is BerthError {
  return BerthError.isInstance(error) && error.details?.config === true;
}

const secretHint =
  'Give { fromEnv: "NAME" }, { fromFile: "path" } or { generate: "api-key" | "rsa-private-key" }: a config file holds no secret values.';

/** A required field that is absent (zod reports it as a type error against `undefined`). */
function isMissing(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'invalid_type' && /received undefined/.test(issue.message);
}

/** The fix for one schema issue, from its code and where it is. */
export function hintForIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  const last = path.at(-1) ?? '';
  const inSecrets = path.includes('secrets');
  if (issue.code === 'unrecognized_keys') {
    if (inSecrets && issue.keys.includes('value')) return secretHint;
    return `Remove ${issue.keys.map((key) => `"${key}"`).join(', ')}: not a field here (see ${CONFIG_DOCS}).`;
  }
  if (inSecrets && (issue.code === 'invalid_union' || issue.code === 'invalid_type')) return secretHint;
  if (issue.code === 'invalid_value') {
    const values = issue.values.map((value) => JSON.stringify(value)).join(', ');
    return `Use one of ${values}.`;
  }
  if (issue.code === 'invalid_type') {
    if (isMissing(issue)) return `Add the required field "${last}" (see ${CONFIG_DOCS}).`;
    return `Give ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`} for "${last}".`;
  }
  if (issue.code === 'invalid_union' && last === 'image')
    return 'Give { build: { context: "./app" } } or { ref: "registry/repo:tag" }.';
  const custom = issue.code === 'custom' ? (issue.params as { hint?: string } | undefined)?.hint : undefined;
  if (custom) return custom;
  return `Fix "${path.join('.') || 'the file'}": ${issue.message} (see ${CONFIG_DOCS}).`;
}

/** The value at `path` in the raw config (zod does not report inputs). */
function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let current = raw;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** Turn schema issues into validation issues with the field path and the fix. */
export function toConfigIssues(error: z.ZodError, raw?: unknown, prefix = ''): ValidationIssue[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    let message = issue.message;
    if (issue.code === 'invalid_value' && path.endsWith('.kind')) {
      const given = String(valueAt(raw, issue.path) ?? '');
      message = `"${given}" is not a known kind`;
    }
    if (issue.code === 'unrecognized_keys')
      message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
    if (issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined)
      message = 'is required';
    return { path, message, hint: hintForIssue(issue) };
  });
}
