import { describe, expect, it } from 'vitest';
import { splitBySize } from './sftp-put.js';

const entry = (name: string, size: number) => ({ local: name, remote: `/r/${name}`, mode: 0o644, size });

describe('splitBySize', () => {
  it('sends files up to the limit whole, and the larger ones largest first', () => {
    const { small, large } = splitBySize(
      [entry('a', 10), entry('b', 300_000), entry('c', 262_144), entry('d', 5_000_000), entry('e', 0)],
      262_144,
    );
    expect(small.map((file) => file.local)).toEqual(['a', 'c', 'e']);
    expect(large.map((file) => file.local)).toEqual(['d', 'b']);
  });
});
