/** Files the components write: rendered configs, generated secrets, source hashes, image roots. */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { log } from './log.ts';

export function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** True when the file exists and is not empty (bash's `[ -s FILE ]`). */
export function nonEmpty(file: string): boolean {
  const text = readText(file);
  return text !== undefined && text.length > 0;
}

/** Writes `content` atomically with `mode` when it differs; true when it wrote (restart what reads it). */
export function writeIfChanged(file: string, content: string, mode: number): boolean {
  if (readText(file) === content) return false;
  log(`writing ${file}`);
  writeAtomic(file, content, mode);
  return true;
}

export function writeAtomic(file: string, content: string, mode: number): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = join(dirname(file), `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(temporary, content, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, file);
}

/** Letters and digits only, `length` characters. */
export function randomSecret(length: number): string {
  let secret = '';
  while (secret.length < length)
    secret += randomBytes(48)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '');
  return secret.slice(0, length);
}

/** Reads a secret file, creating it (mode 0600) with a new secret when it is missing or empty. */
export function secretFile(file: string, length: number, what?: string): string {
  const existing = readText(file)?.trim();
  if (existing !== undefined && existing !== '') return existing;
  if (what !== undefined) log(`generating ${what} (${file})`);
  const secret = randomSecret(length);
  writeAtomic(file, secret, 0o600);
  return secret;
}

export function sha256(parts: readonly (string | Buffer)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** Runs `body` with a fresh directory (mode 0755: it becomes the image's `/`) and removes it after. */
export async function withTemporaryDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-env-'));
  chmodSync(dir, 0o755);
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Copies a file to `root + path` with its parent folders, following links. */
export function installInto(root: string, source: string, path: string, mode: number): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  copyFileSync(realpathSync(source), join(root, path));
  chmodSync(join(root, path), mode);
}
