import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { BerthError, type ValidationIssue } from '../errors/index.js';
import type { Provider, ProviderContext, ServiceTarget } from '../provider/provider.js';
import { fingerprintSecret } from '../secrets/fingerprint.js';
import { type GeneratedSecretKind, generateSecret } from '../secrets/generate-secret.js';
import type { Redactor } from '../secrets/redactor.js';
import type { ServiceSpec } from '../spec/service-spec.js';

/** Shorter secret values are refused: too weak, and too likely to occur in ordinary text to redact. */
export const MIN_SECRET_LENGTH = 8;

/** A secret with its value (when known), ready to fingerprint and store. */
export interface ResolvedSecret {
  key: string;
  /** Undefined only for a `generate` secret not generated yet (in a read-only plan). */
  value?: string;
  fingerprint?: string;
  generated: boolean;
  /** For `generate` secrets: true when the value was read back from the provider's store. */
  existing?: boolean;
  kind?: GeneratedSecretKind;
  /** A value still being generated (`generate: 'later'`); `finishSecrets` puts it in `value`. */
  pending?: Promise<string>;
}

/** Where secret values come from; injectable for tests. */
export interface SecretSources {
  env: Record<string, string | undefined>;
  readFile: (path: string) => Promise<string>;
  cwd: string;
}

export const defaultSecretSources = (): SecretSources => ({
  env: process.env,
  readFile: (path) => readFile(path, 'utf8'),
  cwd: process.cwd(),
});

/**
 * Read every secret's value from its source. `generate` secrets are read back from the provider's
 * store when they exist there; otherwise they are generated (when `generate` is true), started in
 * the background (`'later'`: key generation then overlaps the image build; call `finishSecrets`
 * before using the values), or left without a value (for plans). Every value is registered with the
 * redactor before it goes anywhere.
 */
export async function resolveSecrets(input: {
  spec: ServiceSpec;
  provider: Provider;
  context: ProviderContext;
  target: ServiceTarget;
  sources: SecretSources;
  redactor: Redactor;
  fingerprintKey: string;
  generate: boolean | 'later';
}): Promise<ResolvedSecret[]> {
  const issues: ValidationIssue[] = [];
  const resolved: ResolvedSecret[] = [];
  for (const [key, source] of Object.entries(input.spec.secrets).sort(([a], [b]) => (a < b ? -1 : 1))) {
    let secret: ResolvedSecret;
    if ('value' in source) secret = { key, value: source.value, generated: false };
    else if ('fromEnv' in source) {
      const value = input.sources.env[source.fromEnv];
      if (value === undefined || value === '') {
        issues.push({
          path: `secrets.${key}.fromEnv`,
          message: `environment variable ${source.fromEnv} is not set`,
          hint: `Export ${source.fromEnv} before deploying, or give the secret another source.`,
        });
        continue;
      }
      secret = { key, value, generated: false };
    } else if ('fromFile' in source) {
      const path = resolve(input.sources.cwd, source.fromFile);
      try {
        secret = { key, value: await input.sources.readFile(path), generated: false };
      } catch (error) {
        issues.push({
          path: `secrets.${key}.fromFile`,
          message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
          hint: 'Create the file or fix the path (relative paths start at the working directory).',
        });
        continue;
      }
    } else {
      const existing = await input.provider.secrets?.read?.(input.context, input.target, key);
      if (existing !== undefined)
        secret = { key, value: existing, generated: true, existing: true, kind: source.generate };
      else if (input.generate === 'later') {
        const pending = generateSecret(source.generate);
        // Awaited by finishSecrets; a run that fails before that must not see an unhandled rejection.
        pending.catch(() => {});
        secret = { key, generated: true, kind: source.generate, pending };
      } else if (input.generate)
        secret = {
          key,
          value: await generateSecret(source.generate),
          generated: true,
          kind: source.generate,
        };
      else secret = { key, generated: true, kind: source.generate };
    }
    if (secret.value !== undefined && secret.value.length < MIN_SECRET_LENGTH) {
      issues.push({
        path: `secrets.${key}`,
        message: `has a value of ${secret.value.length} characters, fewer than ${MIN_SECRET_LENGTH}`,
        hint: `Use a longer value (or { generate: 'api-key' }): short values are weak and cannot be told apart from ordinary text when redacting.`,
      });
      continue;
    }
    if (secret.value !== undefined) {
      input.redactor.add(secret.value);
      secret.fingerprint = fingerprintSecret(input.fingerprintKey, key, secret.value);
    }
    resolved.push(secret);
  }
  if (issues.length > 0)
    throw new BerthError(
      'SECRET_SOURCE_MISSING',
      `Secret sources missing: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
      { hint: issues.map((issue) => issue.hint).join(' '), details: { issues } },
    );
  return resolved;
}

/**
 * Wait for the values `resolveSecrets({ generate: 'later' })` started, register them with the
 * redactor and fingerprint them. Generated values are long enough by construction.
 */
export async function finishSecrets(
  secrets: ResolvedSecret[],
  redactor: Redactor,
  fingerprintKey: string,
): Promise<ResolvedSecret[]> {
  return Promise.all(
    secrets.map(async ({ pending, ...secret }) => {
      if (!pending) return secret;
      const value = await pending;
      redactor.add(value);
      return { ...secret, value, fingerprint: fingerprintSecret(fingerprintKey, secret.key, value) };
    }),
  );
}

/** Masked display of a secret value: a few leading characters and the length. */
export function maskSecretValue(value: string | undefined): string {
  if (value === undefined) return '******';
  if (value.startsWith('-----BEGIN')) return `-----BEGIN …(${value.length} chars, PEM)`;
  // Short values are shown without a prefix: four characters would give away too much of them.
  if (value.length < 16) return `******(${value.length} chars)`;
  return `${value.slice(0, 4)}…(${value.length} chars)`;
}
