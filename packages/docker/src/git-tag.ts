import { nodeChildProcess } from '@berth/core/plugin-kit';

/** Tag used when the context is not in a git work tree (or git is not installed). */
export const fallbackTag = 'latest';

/** Runs `git` with arguments in a folder and resolves its stdout; rejects when git fails. */
export type RunGit = (args: string[], cwd: string) => Promise<string>;

/**
 * The image tag for the code in `cwd`: the short commit SHA, with `-dirty` when files under `cwd`
 * have uncommitted changes (untracked files included, since they are part of the build context).
 * `latest` outside a git work tree, in a repository without commits, or when git is missing.
 */
export async function computeGitTag(cwd: string, runGit: RunGit = execGit): Promise<string> {
  let sha: string;
  try {
    sha = (await runGit(['rev-parse', '--short', 'HEAD'], cwd)).trim();
  } catch {
    return fallbackTag;
  }
  if (!/^[0-9a-f]{4,40}$/.test(sha)) return fallbackTag;
  // When git can name the commit but not the status, claim nothing: call the tree dirty.
  const status = await runGit(['status', '--porcelain', '--untracked-files=normal', '--', '.'], cwd).catch(
    () => 'unknown',
  );
  return status.trim() === '' ? sha : `${sha}-dirty`;
}

/** The default `RunGit`: `execFile('git', ...)` (no shell), with a timeout. */
export function execGit(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    nodeChildProcess().execFile(
      'git',
      args,
      { cwd, timeout: 15_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
}
