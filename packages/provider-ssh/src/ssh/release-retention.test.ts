import { describe, expect, it } from 'vitest';
import { parseReleaseListing, selectReleasesToPrune } from './release-retention.js';

const day = 24 * 60 * 60 * 1000;
const now = Date.UTC(2025, 5, 15);
const release = (id: string, daysAgo: number) => ({ releaseId: id, modifiedAt: now - daysAgo * day });

describe('selectReleasesToPrune', () => {
  const releases = [
    release('cur', 0),
    release('p1', 1),
    release('p2', 2),
    release('p3', 8),
    release('p4', 9),
  ];

  it('keeps the current release and previous ones younger than keepDays, up to keepReleases', () => {
    expect(selectReleasesToPrune(releases, { keepReleases: 5, keepDays: 7 }, now, new Set(['cur']))).toEqual([
      'p3',
      'p4',
    ]);
    expect(selectReleasesToPrune(releases, { keepReleases: 1, keepDays: 7 }, now, new Set(['cur']))).toEqual([
      'p2',
      'p3',
      'p4',
    ]);
  });

  it('always keeps the newest previous release, however old, as the rollback target', () => {
    const old = [release('cur', 0), release('p1', 30), release('p2', 40)];
    expect(selectReleasesToPrune(old, { keepReleases: 5, keepDays: 7 }, now, new Set(['cur']))).toEqual([
      'p2',
    ]);
  });

  it('keeps the release that served before, not the newest folder, as the rollback target', () => {
    // p1 was deployed and rolled back; p3 served before the current deploy.
    expect(
      selectReleasesToPrune(releases, { keepReleases: 1, keepDays: 7 }, now, new Set(['cur']), 'p3'),
    ).toEqual(['p1', 'p2', 'p4']);
    expect(
      selectReleasesToPrune(releases, { keepReleases: 2, keepDays: 7 }, now, new Set(['cur']), 'p3'),
    ).toEqual(['p2', 'p4']);
  });

  it('never prunes a protected release', () => {
    expect(
      selectReleasesToPrune(releases, { keepReleases: 1, keepDays: 0 }, now, new Set(['cur', 'p4'])),
    ).toEqual(['p2', 'p3']);
  });
});

describe('parseReleaseListing', () => {
  it('reads stat lines and skips hidden and malformed ones', () => {
    expect(
      parseReleaseListing('1700000000 r-abc\n1700000100 ./r-def\n1700000200 .incoming-x\nnope\n'),
    ).toEqual([
      { releaseId: 'r-abc', modifiedAt: 1_700_000_000_000 },
      { releaseId: 'r-def', modifiedAt: 1_700_000_100_000 },
    ]);
  });
});
