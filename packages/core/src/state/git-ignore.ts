import { appendFile, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';

async function findGitRoot(start: string): Promise<string | undefined> {
  let folder = start;
  while (true) {
    const found = await stat(join(folder, '.git')).then(
      () => true,
      () => false,
    );
    if (found) return folder;
    const parent = dirname(folder);
    if (parent === folder) return undefined;
    folder = parent;
  }
}

/** Add `dir` to the `.gitignore` of the git repository that contains it, unless already listed. */
export async function ensureGitIgnored(dir: string): Promise<void> {
  const root = await findGitRoot(dirname(dir));
  if (!root) return;
  const entry = `/${relative(root, dir).split(sep).join('/')}/`;
  const path = join(root, '.gitignore');
  const existing = await readFile(path, 'utf8').catch(() => '');
  const lines = existing.split(/\r?\n/).map((line) => line.trim());
  const bare = entry.slice(1);
  // A slash-free pattern such as `.deployment/` matches the folder at any depth.
  const name = basename(dir);
  const patterns = [
    entry,
    bare,
    bare.slice(0, -1),
    entry.slice(0, -1),
    `${name}/`,
    name,
    `**/${name}/`,
    `**/${name}`,
  ];
  if (lines.some((line) => patterns.includes(line))) return;
  const prefix = existing === '' || existing.endsWith('\n') ? '' : '\n';
  await appendFile(path, `${prefix}# Berth deploy state (never holds secret values)\n${entry}\n`);
}
