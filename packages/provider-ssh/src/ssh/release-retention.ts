/**
 * Which releases to keep on the host: the current one, plus previous ones by count and age
 * (default: up to 5 previous releases, none older than 7 days, but always the previous one, so
 * there is something to roll back to). The previous one is the release that served before the
 * current deploy when it is known (after a rollback it is not the newest folder), else the newest
 * other folder. Pure.
 */

/** A release folder as listed on the host. */
export interface ReleaseListing {
  releaseId: string;
  /** Last change of the folder (when it was made), ms since the epoch. */
  modifiedAt: number;
}

/** Retention rules. */
export interface RetentionRules {
  /** Previous releases kept at most. Default 5. */
  keepReleases: number;
  /** Previous releases older than this are removed (the newest previous one excepted). Default 7. */
  keepDays: number;
}

/**
 * The release ids to delete. `protect` (the current release…) never are; `previous`, the release
 * that served before, counts first among the previous ones and is kept whatever its age.
 */
export function selectReleasesToPrune(
  releases: readonly ReleaseListing[],
  rules: RetentionRules,
  now: number,
  protect: ReadonlySet<string>,
  previousReleaseId?: string,
): string[] {
  const rank = (release: ReleaseListing) => (release.releaseId === previousReleaseId ? 0 : 1);
  const previous = [...releases]
    .filter((release) => !protect.has(release.releaseId))
    .sort(
      (left, right) =>
        rank(left) - rank(right) ||
        right.modifiedAt - left.modifiedAt ||
        (left.releaseId < right.releaseId ? 1 : -1),
    );
  const maxAgeMs = rules.keepDays * 24 * 60 * 60 * 1000;
  return previous
    .filter((release, index) => {
      if (index >= rules.keepReleases) return true;
      if (index === 0) return false; // the previous release: the rollback target, whatever its age
      return now - release.modifiedAt > maxAgeMs;
    })
    .map((release) => release.releaseId);
}

/** Parse `stat -c '%Y %n'` lines of release folders (`<mtime seconds> <path>`). */
export function parseReleaseListing(text: string): ReleaseListing[] {
  const releases: ReleaseListing[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+) (?:.*\/)?([^/]+)$/.exec(line.trim());
    if (!match?.[1] || !match[2] || match[2].startsWith('.')) continue;
    releases.push({ releaseId: match[2], modifiedAt: Number(match[1]) * 1000 });
  }
  return releases;
}
