/**
 * The files of a service folder that go to the host: walked with `.berthignore` (or, without one,
 * `.dockerignore`) rules, `.git` always left out, each file hashed. Reads only.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BerthError } from '@berth/core';
import { nodeCrypto, nodeFs } from '@berth/core/plugin-kit';
import { createContextFilter } from '@berth/docker/ignore';
import { type ManifestEntry, normaliseFileMode, safeRelativePath } from './release-manifest.js';

/** Options of `readServiceFolder`. */
export interface ReadFolderOptions {
  /** Paths always sent even when an ignore pattern matches (e.g. the Dockerfile). */
  alwaysSend?: readonly string[];
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = nodeCrypto().createHash('sha256');
    // Large reads: fewer chunks to hash for the big files of a service folder.
    nodeFs()
      .createReadStream(path, { highWaterMark: 1024 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

async function ignoreRules(root: string): Promise<string> {
  const berthIgnore = await readFile(join(root, '.berthignore'), 'utf8').catch(() => undefined);
  return berthIgnore ?? (await readFile(join(root, '.dockerignore'), 'utf8').catch(() => ''));
}

/**
 * List and hash the folder. Throws `IMAGE_BUILD_FAILED` for a missing folder, `SSH_TRANSFER_FAILED`
 * for a file name that cannot be sent safely (control characters such as newlines).
 */
export async function readServiceFolder(
  folder: string,
  options: ReadFolderOptions = {},
): Promise<ManifestEntry[]> {
  const root = resolve(folder);
  const rootStat = await lstat(root).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new BerthError(
      'IMAGE_BUILD_FAILED',
      `The service folder ${root} does not exist or is not a folder.`,
      {
        hint: "Point the spec's `image.build.context` at the folder to deploy (a relative path starts from the working directory).",
        details: { folder: root },
      },
    );
  }
  // Never uploaded: git's folder, and Berth's own state folder (each run writes to it).
  const filter = createContextFilter(
    `${await ignoreRules(root)}\n.git\n.deployment\n`,
    options.alwaysSend ?? [],
  );
  const entries: ManifestEntry[] = [];
  const walk = async (directory: string): Promise<void> => {
    for (const name of (await readdir(join(root, directory))).sort()) {
      const path = directory ? `${directory}/${name}` : name;
      if (!safeRelativePath(path)) {
        throw new BerthError(
          'SSH_TRANSFER_FAILED',
          `Cannot send ${JSON.stringify(path)}: its name has control characters.`,
          {
            hint: 'Rename the file (no newlines or tabs in names), or list it in .berthignore.',
            details: { path },
          },
        );
      }
      const stat = await lstat(join(root, path));
      const ignored = filter.ignores(path);
      if (stat.isDirectory()) {
        if (!ignored) entries.push({ path, type: 'directory', mode: 0o755, size: 0 });
        if (!ignored || filter.mayIncludeInside(path)) await walk(path);
      } else if (!ignored && stat.isFile()) {
        const sha256 = await hashFile(join(root, path));
        entries.push({ path, type: 'file', mode: normaliseFileMode(stat.mode), size: stat.size, sha256 });
      } else if (!ignored && stat.isSymbolicLink()) {
        const target = await readlink(join(root, path));
        entries.push({ path, type: 'symlink', mode: 0o777, size: 0, target });
      }
      // Sockets, FIFOs and devices are not deployable content.
    }
  };
  await walk('');
  return includeParents(entries);
}

/** A file re-included inside an ignored folder still needs that folder on the host. */
function includeParents(entries: ManifestEntry[]): ManifestEntry[] {
  const directories = new Set(
    entries.filter((entry) => entry.type === 'directory').map((entry) => entry.path),
  );
  const added: ManifestEntry[] = [];
  for (const entry of entries) {
    const parts = entry.path.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) {
      const parent = parts.slice(0, depth).join('/');
      if (!directories.has(parent)) {
        directories.add(parent);
        added.push({ path: parent, type: 'directory', mode: 0o755, size: 0 });
      }
    }
  }
  return [...entries, ...added].sort((left, right) =>
    left.path < right.path ? -1 : left.path > right.path ? 1 : 0,
  );
}
