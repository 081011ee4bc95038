/**
 * The JSON file the tests read (test-support/test-env.ts): one section per component that is up,
 * then `writtenAt`. Building it is pure (`buildEnvFile`); `writeEnvFile` is the one place it is written.
 */

import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EnvSection } from './component.ts';

/** What one component said about itself. */
export interface EnvContribution {
  readonly component: string;
  /** undefined when the component is not up. */
  readonly sections: Readonly<Record<string, EnvSection>> | undefined;
  /** Keys it only adds to (see Component.extends). */
  readonly extends?: readonly string[];
}

export interface EnvFile {
  readonly json: Record<string, unknown>;
  /** Components that were not up (their sections are missing). */
  readonly missing: string[];
}

/** `2026-11-22T07:30:06Z` (seconds, UTC), as the bash version wrote it. */
export function formatWrittenAt(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Merges the contributions in order: a key's fields in the order they came, `writtenAt` last. */
export function buildEnvFile(contributions: readonly EnvContribution[], writtenAt: Date): EnvFile {
  const json: Record<string, Record<string, unknown>> = {};
  const missing: string[] = [];
  for (const { component, sections, extends: additions = [] } of contributions) {
    if (sections === undefined) {
      missing.push(component);
      continue;
    }
    for (const [key, fields] of Object.entries(sections)) {
      if (additions.includes(key) && json[key] === undefined) continue;
      json[key] = { ...json[key], ...fields };
    }
  }
  return { json: { ...json, writtenAt: formatWrittenAt(writtenAt) }, missing };
}

/** The file's text: two-space indented JSON and a newline (what `jq` printed). */
export function renderEnvFile(json: Record<string, unknown>): string {
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Writes atomically, mode 0600; under sudo the file goes to the user who runs the tests. */
export function writeEnvFile(file: string, text: string, env = process.env): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = join(dirname(file), `.berth-test-env.${randomBytes(4).toString('hex')}`);
  writeFileSync(temporary, text, { mode: 0o600 });
  if (env.SUDO_UID !== undefined && env.SUDO_UID !== '') {
    chownSync(temporary, Number(env.SUDO_UID), Number(env.SUDO_GID || env.SUDO_UID));
  }
  renameSync(temporary, file);
}
