import { join } from 'node:path';
import { nodeCrypto, nodeFs } from '@berth/core/plugin-kit';
import type { BuildContext, ContextEntry } from './build-context.js';

/** Build inputs besides the files that change the image. */
export interface FingerprintInputs {
  args?: Record<string, string>;
  platform?: string;
}

/** A context entry with what identifies its content: the sha256 of a file, the target of a symlink. */
export interface HashedEntry extends Pick<ContextEntry, 'path' | 'type' | 'mode'> {
  content: string;
}

/**
 * Combine hashed entries and build inputs into the fingerprint, `sha256:<64 hex>`. Pure: the same
 * entries (in any order), Dockerfile path, args and platform always give the same fingerprint.
 */
export function composeFingerprint(
  entries: readonly HashedEntry[],
  dockerfile: string,
  inputs: FingerprintInputs,
): string {
  const hash = nodeCrypto().createHash('sha256');
  hash.update('berth-image-fingerprint/v1\n');
  const sorted = [...entries].sort((left, right) =>
    left.path < right.path ? -1 : left.path > right.path ? 1 : 0,
  );
  for (const entry of sorted) {
    // JSON keeps paths with spaces or newlines unambiguous.
    hash.update(`${JSON.stringify([entry.path, entry.type, entry.mode.toString(8), entry.content])}\n`);
  }
  const args = Object.entries(inputs.args ?? {}).sort(([left], [right]) => (left < right ? -1 : 1));
  hash.update(`${JSON.stringify({ dockerfile, args, platform: inputs.platform ?? '' })}\n`);
  return `sha256:${hash.digest('hex')}`;
}

/** Fingerprint a build context: reads (streams) every file that is sent, plus the build inputs. */
export async function fingerprintContext(context: BuildContext, inputs: FingerprintInputs): Promise<string> {
  const hashed: HashedEntry[] = [];
  for (const entry of context.entries) {
    const content =
      entry.type === 'file'
        ? await hashFile(join(context.root, entry.path))
        : entry.type === 'symlink'
          ? (entry.linkTarget ?? '')
          : '';
    hashed.push({ path: entry.path, type: entry.type, mode: entry.mode, content });
  }
  return composeFingerprint(hashed, context.dockerfile, inputs);
}

/** The tag that marks a fingerprint's image in a registry: `fp-` and the first 16 hex digits. */
export function fingerprintTag(fingerprint: string): string {
  return `fp-${fingerprint.replace(/^sha256:/, '').slice(0, 16)}`;
}

async function hashFile(path: string): Promise<string> {
  const hash = nodeCrypto().createHash('sha256');
  for await (const chunk of nodeFs().createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
