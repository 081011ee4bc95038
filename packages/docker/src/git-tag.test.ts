import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { computeGitTag } from './git-tag.js';

const run = promisify(execFile);
const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function folder(): Promise<string> {
  const path = await mkdtemp(join(tmpdir(), 'berth-git-'));
  folders.push(path);
  return path;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'user.name=Berth Test', '-c', 'user.email=test@berth.dev', ...args],
    { cwd },
  );
  return stdout.trim();
}

async function committedRepository(): Promise<string> {
  const path = await folder();
  await git(path, 'init', '--quiet');
  await writeFile(join(path, 'Dockerfile'), 'FROM scratch\n');
  await git(path, 'add', '.');
  await git(path, 'commit', '--quiet', '-m', 'first');
  return path;
}

describe('computeGitTag', () => {
  it('is the short commit SHA in a clean work tree', async () => {
    const path = await committedRepository();
    const sha = await git(path, 'rev-parse', '--short', 'HEAD');
    expect(await computeGitTag(path)).toBe(sha);
    expect(sha).toMatch(/^[0-9a-f]{7,}$/);
  });

  it('ends in -dirty with a modified or an untracked file', async () => {
    const path = await committedRepository();
    const sha = await git(path, 'rev-parse', '--short', 'HEAD');
    await writeFile(join(path, 'Dockerfile'), 'FROM scratch\nCMD ["x"]\n');
    expect(await computeGitTag(path)).toBe(`${sha}-dirty`);
    await git(path, 'commit', '--quiet', '-am', 'second');
    const second = await git(path, 'rev-parse', '--short', 'HEAD');
    expect(await computeGitTag(path)).toBe(second);
    await writeFile(join(path, 'new-file'), '');
    expect(await computeGitTag(path)).toBe(`${second}-dirty`);
  });

  it('is latest outside a git work tree and in a repository without commits', async () => {
    expect(await computeGitTag(await folder())).toBe('latest');
    const empty = await folder();
    await git(empty, 'init', '--quiet');
    expect(await computeGitTag(empty)).toBe('latest');
  });

  it('is latest when git cannot be run', async () => {
    const missing = Object.assign(new Error('spawn git ENOENT'), { code: 'ENOENT' });
    expect(await computeGitTag(await folder(), () => Promise.reject(missing))).toBe('latest');
  });
});
