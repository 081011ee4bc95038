import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '@berth/core';
import { extract } from 'tar-fs';
import { afterEach, describe, expect, it } from 'vitest';
import { packBuildContext, readBuildContext } from './build-context.js';

const folders: string[] = [];
afterEach(async () => {
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

async function contextFolder(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-context-'));
  folders.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** Pack the context, unpack the tar into a folder, and report each entry's header and content. */
async function tarEntries(
  root: string,
  dockerfile?: string,
): Promise<Map<string, { mode: number; uid: number; content: string }>> {
  const context = await readBuildContext(root, dockerfile);
  const target = await mkdtemp(join(tmpdir(), 'berth-unpacked-'));
  folders.push(target);
  const headers = new Map<string, { mode: number; uid: number }>();
  await new Promise<void>((resolve, reject) => {
    const reader = extract(target, {
      map: (header) => {
        headers.set(header.name, { mode: header.mode, uid: header.uid });
        return header;
      },
    });
    reader.on('finish', resolve).on('error', reject);
    packBuildContext(context).on('error', reject).pipe(reader);
  });
  const entries = new Map<string, { mode: number; uid: number; content: string }>();
  for (const [name, header] of headers) {
    const content = await readFile(join(target, name), 'utf8').catch(() => '');
    entries.set(name, { ...header, content });
  }
  return entries;
}

describe('readBuildContext and packBuildContext', () => {
  it('sends what .dockerignore allows, `!` exceptions inside excluded folders, and always the Dockerfile', async () => {
    const root = await contextFolder({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'Dockerfile\n.dockerignore\n*.secret\nnode_modules\n!node_modules/keep/**\n',
      'app.js': 'console.log(1)',
      'token.secret': 'hunter2',
      'node_modules/drop/index.js': 'drop',
      'node_modules/keep/index.js': 'keep',
    });
    const entries = await tarEntries(root);
    expect([...entries.keys()].sort()).toEqual([
      '.dockerignore',
      'Dockerfile',
      'app.js',
      // The folder itself stays excluded (as with Docker); the engine creates it for the file.
      'node_modules/keep/index.js',
    ]);
    expect(entries.get('app.js')?.content).toBe('console.log(1)');
  });

  it("never sends Berth's state folder, even when .dockerignore re-includes it", async () => {
    const root = await contextFolder({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '!.deployment\n',
      'app.js': 'console.log(1)',
      '.deployment/state/api-dev.json': '{}',
      '.deployment/logs/run.log': 'written by each run',
    });
    expect([...(await tarEntries(root)).keys()].sort()).toEqual(['.dockerignore', 'Dockerfile', 'app.js']);
  });

  it('keeps permission bits (no umask) and root ownership in the tar', async () => {
    const root = await contextFolder({ Dockerfile: 'FROM scratch\n', 'run.sh': 'echo hi' });
    await chmod(join(root, 'run.sh'), 0o777);
    const entries = await tarEntries(root);
    expect(entries.get('run.sh')?.mode).toBe(0o777);
    expect(entries.get('run.sh')?.uid).toBe(0);
  });

  it('sends symlinks as links, and lists entries sorted', async () => {
    const root = await contextFolder({ Dockerfile: 'FROM scratch\n', 'b.txt': 'b', 'a/z.txt': 'z' });
    await symlink('b.txt', join(root, 'link'));
    const context = await readBuildContext(root);
    expect(context.entries.map((entry) => entry.path)).toEqual([
      'Dockerfile',
      'a',
      'a/z.txt',
      'b.txt',
      'link',
    ]);
    expect(context.entries.find((entry) => entry.path === 'link')).toMatchObject({
      type: 'symlink',
      linkTarget: 'b.txt',
    });
  });

  it('uses a custom Dockerfile path inside the context', async () => {
    const root = await contextFolder({
      'docker/app.Dockerfile': 'FROM scratch\n',
      '.dockerignore': 'docker\n',
    });
    const context = await readBuildContext(root, 'docker/app.Dockerfile');
    expect(context.dockerfile).toBe('docker/app.Dockerfile');
    expect(context.entries.map((entry) => entry.path)).toEqual(['.dockerignore', 'docker/app.Dockerfile']);
  });

  it('rejects a missing Dockerfile, one outside the context, and a missing context with IMAGE_BUILD_FAILED', async () => {
    const root = await contextFolder({ 'app.js': '' });
    for (const [folder, dockerfile] of [
      [root, undefined],
      [root, '../Dockerfile'],
      [join(root, 'nope'), undefined],
    ] as const) {
      const error = await readBuildContext(folder, dockerfile).catch((caught: unknown) => caught);
      expect(BerthError.isInstance(error) && error.code).toBe('IMAGE_BUILD_FAILED');
      expect(BerthError.isInstance(error) && error.hint).toBeTruthy();
    }
  });
});
