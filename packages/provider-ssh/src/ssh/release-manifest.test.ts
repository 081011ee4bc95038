import { describe, expect, it } from 'vitest';
import {
  type ManifestEntry,
  normaliseFileMode,
  parseManifest,
  parseSha256sum,
  planTransfer,
  safeRelativePath,
  verifyHashes,
} from './release-manifest.js';

const hash = (char: string) => char.repeat(64);
const file = (path: string, sha: string, size = 10, mode = 0o644): ManifestEntry => ({
  path,
  type: 'file',
  mode,
  size,
  sha256: hash(sha),
});

describe('planTransfer', () => {
  const previous = [
    { path: 'src', type: 'directory', mode: 0o755, size: 0 } as ManifestEntry,
    file('src/a.js', 'a'),
    file('src/b.js', 'b'),
    file('run.sh', 'c', 10, 0o755),
  ];

  it('sends everything without a previous release', () => {
    const plan = planTransfer(previous, undefined);
    expect(plan.upload.map((entry) => entry.path)).toEqual(['src/a.js', 'src/b.js', 'run.sh']);
    expect(plan.copy).toEqual([]);
    expect(plan).toMatchObject({ directories: ['src'], totalFiles: 3, totalBytes: 30, uploadBytes: 30 });
  });

  it('copies unchanged files and sends only changed, new and re-moded ones', () => {
    const next = [
      { path: 'src', type: 'directory', mode: 0o755, size: 0 } as ManifestEntry,
      file('src/a.js', 'a'),
      file('src/b.js', 'x', 12),
      file('run.sh', 'c', 10, 0o644),
      file('new.txt', 'n', 5),
      { path: 'link', type: 'symlink', mode: 0o777, size: 0, target: 'src/a.js' } as ManifestEntry,
    ];
    const plan = planTransfer(next, previous);
    expect(plan.copy.map((entry) => entry.path)).toEqual(['src/a.js']);
    expect(plan.upload.map((entry) => entry.path)).toEqual(['src/b.js', 'run.sh', 'new.txt']);
    expect(plan.symlinks.map((entry) => entry.path)).toEqual(['link']);
    expect(plan).toMatchObject({ totalFiles: 4, totalBytes: 37, uploadBytes: 27 });
  });

  it('sends a path that was a folder or a link before', () => {
    const plan = planTransfer([file('src', 'a')], previous);
    expect(plan.upload.map((entry) => entry.path)).toEqual(['src']);
  });
});

describe('parseManifest', () => {
  it('reads a manifest it wrote', () => {
    const manifest = {
      version: 1,
      releaseId: 'r1',
      createdAt: '2025-01-01T00:00:00.000Z',
      entries: [file('a', 'a')],
    };
    expect(parseManifest(JSON.stringify(manifest))).toEqual(manifest);
  });

  it.each([
    ['missing', undefined],
    ['not JSON', '{'],
    ['another version', JSON.stringify({ version: 2, entries: [] })],
    [
      'a bad hash',
      JSON.stringify({
        version: 1,
        entries: [{ path: 'a', type: 'file', mode: 420, size: 1, sha256: 'zz' }],
      }),
    ],
    [
      'an escaping path',
      JSON.stringify({ version: 1, entries: [{ path: '../x', type: 'directory', mode: 493, size: 0 }] }),
    ],
  ])('treats %s as no manifest (everything is sent)', (_, text) => {
    expect(parseManifest(text)).toBeUndefined();
  });
});

describe('paths and modes', () => {
  it.each([
    ['a/b.txt', true],
    ['-rf', true],
    ['$(x) ;`y`', true],
    ['', false],
    ['/abs', false],
    ['a/../b', false],
    ['a//b', false],
    ['./a', false],
    ['a\nb', false],
    ['a\tb', false],
  ])('%j is a safe relative path: %s', (path, safe) => {
    expect(safeRelativePath(path)).toBe(safe);
  });

  it('normalises modes to 0644 or 0755 by the owner execute bit', () => {
    expect(normaliseFileMode(0o100600)).toBe(0o644);
    expect(normaliseFileMode(0o100744)).toBe(0o755);
    expect(normaliseFileMode(0o100700)).toBe(0o755);
  });
});

describe('sha256sum output', () => {
  it('parses plain and escaped names', () => {
    const output = [
      `${hash('a')}  plain.txt`,
      `${hash('b')}  with space`,
      `\\${hash('c')}  back\\\\slash`,
      `${hash('d')} *binary`,
      'garbage',
    ].join('\n');
    const sums = parseSha256sum(output);
    expect([...sums]).toEqual([
      ['plain.txt', hash('a')],
      ['with space', hash('b')],
      ['back\\slash', hash('c')],
      ['binary', hash('d')],
    ]);
  });

  it('lists files whose hash is wrong or missing', () => {
    const expected = [file('a', 'a'), file('b', 'b'), file('c', 'c')];
    const actual = new Map([
      ['a', hash('a')],
      ['b', hash('x')],
    ]);
    expect(verifyHashes(expected, actual)).toEqual(['b', 'c']);
  });
});
