import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { ImageError } from '@berth/core';
import { createContextFilter } from './docker-ignore.js';

// tar-fs (with tar-stream and streamx) loads when a build packs its context, not on import: an
// unchanged redeploy never packs one.
const requireFromHere = createRequire(import.meta.url);
const loadTarFs = () => requireFromHere('tar-fs') as typeof import('tar-fs');

/** One path of the build context that is sent to the engine. */
export interface ContextEntry {
  /** Relative to the context root, `/`-separated. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (`0o7777` mask), as sent in the tar. */
  mode: number;
  size: number;
  /** Symlinks only: where the link points. */
  linkTarget?: string;
}

/** The default state folder (`fileStateStore()`), as a `.dockerignore` rule. */
export const stateFolderRule = '.deployment';

/** A build context after `.dockerignore` was applied: exactly what the engine receives. */
export interface BuildContext {
  /** Absolute path of the context folder. */
  root: string;
  /** The Dockerfile, relative to `root`, `/`-separated. */
  dockerfile: string;
  /** Sent entries, sorted by path. */
  entries: ContextEntry[];
}

/**
 * List the build context the engine will receive: walks `root`, honours `.dockerignore` with Docker's
 * semantics (including `!` exceptions inside excluded folders) and always keeps the Dockerfile and the
 * `.dockerignore`. Reads metadata only, never file contents.
 */
export async function readBuildContext(root: string, dockerfile = 'Dockerfile'): Promise<BuildContext> {
  const absoluteRoot = resolve(root);
  const rootStat = await lstat(absoluteRoot).catch(() => undefined);
  if (!rootStat?.isDirectory()) {
    throw new ImageError('IMAGE_BUILD_FAILED', `The build context ${absoluteRoot} is not a folder.`, {
      hint: 'Point the image `context` at the folder that holds your Dockerfile.',
      details: { context: absoluteRoot },
    });
  }
  const dockerfilePath = contextRelativePath(absoluteRoot, dockerfile);
  const dockerfileStat = await lstat(join(absoluteRoot, dockerfilePath)).catch(() => undefined);
  if (!dockerfileStat?.isFile()) {
    throw new ImageError('IMAGE_BUILD_FAILED', `No Dockerfile at ${dockerfilePath} in ${absoluteRoot}.`, {
      hint: 'Create the Dockerfile, or set `dockerfile` to its path relative to the build context.',
      details: { context: absoluteRoot, dockerfile: dockerfilePath },
    });
  }
  const ignoreText = await readFile(join(absoluteRoot, '.dockerignore'), 'utf8').catch(() => '');
  // Berth's own state folder is never sent (after the user's rules, so no `!` brings it back): each
  // run writes to it, so the image would change on every run, and it holds the deploy history.
  const filter = createContextFilter(`${ignoreText}\n${stateFolderRule}\n`, [
    dockerfilePath,
    '.dockerignore',
  ]);
  const entries: ContextEntry[] = [];

  const walk = async (directory: string): Promise<void> => {
    const names = (await readdir(join(absoluteRoot, directory))).sort();
    for (const name of names) {
      const path = directory ? `${directory}/${name}` : name;
      const stat = await lstat(join(absoluteRoot, path));
      const mode = stat.mode & 0o7777;
      if (stat.isDirectory()) {
        const ignored = filter.ignores(path);
        if (!ignored) entries.push({ path, type: 'directory', mode, size: 0 });
        if (!ignored || filter.mayIncludeInside(path)) await walk(path);
      } else if (stat.isFile()) {
        if (!filter.ignores(path)) entries.push({ path, type: 'file', mode, size: stat.size });
      } else if (stat.isSymbolicLink()) {
        if (filter.ignores(path)) continue;
        const linkTarget = await readlink(join(absoluteRoot, path));
        entries.push({ path, type: 'symlink', mode, size: 0, linkTarget });
      }
      // Sockets, FIFOs and devices cannot be put in a tar; the Docker CLI skips them too.
    }
  };
  await walk('');
  entries.sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));
  return { root: absoluteRoot, dockerfile: dockerfilePath, entries };
}

/**
 * Stream the context as a tar, file by file (nothing is buffered whole). Only the listed entries are
 * packed, with their own permission bits and root ownership, as the Docker CLI sends them.
 */
export function packBuildContext(context: BuildContext): Readable {
  const modes = new Map(context.entries.map((entry) => [entry.path, entry.mode]));
  return loadTarFs().pack(context.root, {
    entries: context.entries.map((entry) => entry.path),
    // The walk already applied `.dockerignore`; tar-fs must not add a listed folder's children again.
    ignore: () => true,
    map: (header) => ({ ...header, mode: modes.get(header.name) ?? header.mode, uid: 0, gid: 0 }),
  });
}

function contextRelativePath(root: string, file: string): string {
  const path = relative(root, resolve(root, file));
  if (path === '' || path.startsWith('..') || isAbsolute(path)) {
    throw new ImageError(
      'IMAGE_BUILD_FAILED',
      `The Dockerfile ${file} is outside the build context ${root}.`,
      {
        hint: 'Move the Dockerfile into the build context folder, or widen the context.',
        details: { context: root, dockerfile: file },
      },
    );
  }
  return path.split(sep).join('/');
}
