import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { ValidationIssue } from '@berth/core';

/** Option keys that hold credentials: a literal string there is refused (the config file is committed). */
const credentialKey =
  /(password|passphrase|privatekey|token|secret|secretskey|apikey|credentials?|secretaccesskey|accesskeyid)$/i;

/** A URL with a password in it (`postgres://user:password@host/db`). */
const urlWithPassword = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:[^/?#@]+@/i;

/** The password inside a URL-shaped value, decoded: error messages may quote it on its own. */
export function urlPassword(value: string): string | undefined {
  if (!urlWithPassword.test(value)) return undefined;
  try {
    const password = decodeURIComponent(new URL(value).password);
    return password.length > 0 ? password : undefined;
  } catch {
    return undefined;
  }
}

function isReference(value: unknown): value is { fromEnv: string } | { fromFile: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'fromEnv' || keys[0] === 'fromFile');
}

/** Literal credentials in provider or state options. Pure. */
export function literalCredentials(options: unknown, path: string): ValidationIssue[] {
  if (typeof options !== 'object' || options === null) return [];
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(options)) {
    const here = `${path}.${key}`;
    if (typeof value === 'string' && urlWithPassword.test(value))
      issues.push({
        path: here,
        message: 'is a URL with a password written in the config file',
        hint: `Give the whole URL by reference: { fromEnv: "${key
          .replace(/([a-z])([A-Z])/g, '$1_$2')
          .replace(/[^A-Za-z0-9]/g, '_')
          .toUpperCase()}" } or { fromFile: "path" }.`,
      });
    else if (typeof value === 'string' && credentialKey.test(key))
      issues.push({
        path: here,
        message: 'is a credential written in the config file',
        hint: `Give it by reference: { fromEnv: "${key.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}" } or { fromFile: "path" }.`,
      });
    else if (!isReference(value)) issues.push(...literalCredentials(value, here));
  }
  return issues;
}

/**
 * Replace every `{ fromEnv }` / `{ fromFile }` in options by its value; each value goes to `onValue`
 * (the run's redactor). Missing values are issues naming the field.
 */
export async function resolveReferences(
  options: unknown,
  context: { path: string; baseDir: string; env: NodeJS.ProcessEnv; onValue: (value: string) => void },
): Promise<{ value: unknown; issues: ValidationIssue[] }> {
  const issues: ValidationIssue[] = [];
  const report = (found: string) => {
    context.onValue(found);
    const password = urlPassword(found);
    if (password) context.onValue(password);
  };
  const walk = async (value: unknown, path: string): Promise<unknown> => {
    if (isReference(value)) {
      if ('fromEnv' in value) {
        const found = context.env[value.fromEnv];
        if (found === undefined || found === '') {
          issues.push({
            path: `${path}.fromEnv`,
            message: `environment variable ${value.fromEnv} is not set`,
            hint: `Set ${value.fromEnv} in the environment of berth (e.g. a CI secret).`,
          });
          return undefined;
        }
        report(found);
        return found;
      }
      const file = isAbsolute(value.fromFile) ? value.fromFile : resolve(context.baseDir, value.fromFile);
      try {
        const found = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
        report(found);
        return found;
      } catch {
        issues.push({
          path: `${path}.fromFile`,
          message: `cannot read ${file}`,
          hint: 'Create the file or fix the path (relative paths start at the config file).',
        });
        return undefined;
      }
    }
    if (Array.isArray(value)) return Promise.all(value.map((item, index) => walk(item, `${path}.${index}`)));
    if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      const output: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) output[key] = await walk(item, `${path}.${key}`);
      return output;
    }
    return value;
  };
  const value = await walk(options, context.path);
  return { value, issues };
}
