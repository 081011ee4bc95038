import { describe, expect, it } from 'vitest';
import { filterContextPaths } from './docker-ignore.js';

const always = ['Dockerfile', '.dockerignore'];
const paths = [
  '.dockerignore',
  '.env',
  'Dockerfile',
  'app.log',
  'keep.log',
  'docs/guide.md',
  'docs/keep.md',
  'node_modules/left-pad/index.js',
  'src/index.js',
  'src/debug.log',
];

describe('filterContextPaths', () => {
  it('sends everything without a .dockerignore', () => {
    expect(filterContextPaths(paths, '', always)).toEqual(paths);
  });

  it('excludes matches, folders with their contents, and re-includes `!` exceptions', () => {
    const ignore = [
      '# build junk',
      '*.log',
      '!keep.log',
      'node_modules',
      '.env',
      'docs',
      '!docs/keep.md',
    ].join('\n');
    expect(filterContextPaths(paths, ignore, always)).toEqual([
      '.dockerignore',
      'Dockerfile',
      'keep.log',
      'docs/keep.md',
      'src/index.js',
      // `*.log` only matches at the root, like Docker (not like .gitignore).
      'src/debug.log',
    ]);
  });

  it('matches nested paths with `**`', () => {
    expect(filterContextPaths(paths, '**/*.log', always)).not.toContain('src/debug.log');
  });

  it('always sends the Dockerfile and the .dockerignore, even when a pattern excludes them', () => {
    // `*` matches every top-level file and folder, so only the two always-sent files remain.
    expect(filterContextPaths(paths, '*', always)).toEqual(['.dockerignore', 'Dockerfile']);
    expect(filterContextPaths(paths, 'Dockerfile\n.dockerignore', always)).toEqual(paths);
  });

  it('matches case-sensitively, like Docker', () => {
    expect(filterContextPaths(['Secret.txt', 'secret.txt'], 'secret.txt', always)).toEqual(['Secret.txt']);
  });

  it('keeps a custom Dockerfile path when its folder is excluded', () => {
    expect(
      filterContextPaths(['docker/app.Dockerfile', 'docker/other'], 'docker', ['docker/app.Dockerfile']),
    ).toEqual(['docker/app.Dockerfile']);
  });
});
