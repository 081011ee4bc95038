import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readServiceFolder } from './local-files.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-local-files-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(path: string, content: string, mode = 0o644): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), content);
  await chmod(join(root, path), mode);
}

const sha = (content: string) => createHash('sha256').update(content).digest('hex');

describe('readServiceFolder', () => {
  it('lists folders, files with their hash and normalised mode, and links', async () => {
    await put('server.js', 'console.log(1)');
    await put('bin/start', '#!/bin/sh', 0o700);
    await symlink('server.js', join(root, 'main.js'));
    expect(await readServiceFolder(root)).toEqual([
      { path: 'bin', type: 'directory', mode: 0o755, size: 0 },
      { path: 'bin/start', type: 'file', mode: 0o755, size: 9, sha256: sha('#!/bin/sh') },
      { path: 'main.js', type: 'symlink', mode: 0o777, size: 0, target: 'server.js' },
      { path: 'server.js', type: 'file', mode: 0o644, size: 14, sha256: sha('console.log(1)') },
    ]);
  });

  it("leaves out .git, Berth's state folder and what .berthignore lists, with exceptions", async () => {
    await put('.git/HEAD', 'ref');
    await put('.deployment/logs/run.log', 'written by each run');
    await put('.berthignore', 'logs\n*.tmp\n!keep.tmp\n');
    await put('.dockerignore', 'server.js\n');
    await put('logs/today.log', 'x');
    await put('a.tmp', 'x');
    await put('keep.tmp', 'x');
    await put('server.js', 'x');
    expect((await readServiceFolder(root)).map((entry) => entry.path)).toEqual([
      '.berthignore',
      '.dockerignore',
      'keep.tmp',
      'server.js',
    ]);
  });

  it('uses .dockerignore when there is no .berthignore, and always sends what it must', async () => {
    await put('.dockerignore', 'Dockerfile\nnode_modules\n');
    await put('Dockerfile', 'FROM x');
    await put('node_modules/a/index.js', 'x');
    await put('index.js', 'x');
    expect((await readServiceFolder(root)).map((entry) => entry.path)).toEqual(['.dockerignore', 'index.js']);
    expect(
      (await readServiceFolder(root, { alwaysSend: ['Dockerfile'] })).map((entry) => entry.path),
    ).toEqual(['.dockerignore', 'Dockerfile', 'index.js']);
  });

  it('sends names that are hostile to shells as they are', async () => {
    await put('$(touch x);`id`', 'a');
    await put('it\'s "quoted"', 'b');
    await put('-rf', 'c');
    expect((await readServiceFolder(root)).map((entry) => entry.path)).toEqual([
      '$(touch x);`id`',
      '-rf',
      'it\'s "quoted"',
    ]);
  });

  it('refuses a file name with a newline', async () => {
    await put('bad\nname', 'x');
    await expect(readServiceFolder(root)).rejects.toMatchObject({ code: 'SSH_TRANSFER_FAILED' });
  });

  it('refuses a missing folder', async () => {
    await expect(readServiceFolder(join(root, 'nope'))).rejects.toMatchObject({
      code: 'IMAGE_BUILD_FAILED',
      hint: expect.stringContaining('image.build.context'),
    });
  });
});
