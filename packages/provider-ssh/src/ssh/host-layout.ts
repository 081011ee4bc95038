/**
 * Where Berth keeps a service on a host, and the rules for the names and paths that go into it.
 * Pure. The layout under the base folder (default `/opt/berth`):
 *
 * ```text
 * <base>/<service>/
 *   releases/<release-id>/     one folder per release (immutable once complete)
 *   manifests/<release-id>.json content hashes of that release (incremental uploads)
 *   revisions/<revision>.json  systemd: what each revision runs (no secret values)
 *   env/<revision>.env         systemd: a revision's secret environment, mode 0600
 *   units/<revision>.service   systemd: a revision's unit file, for rollbacks
 *   current -> releases/<id>   the running release, switched atomically
 *   current-revision           systemd: the running revision
 *   unit-start                 systemd: the baseline of the running revision's start (counters, time)
 *   history.jsonl              deploy history shared by every operator
 *   .lock/owner.json           the deploy lock (see host-lock.ts)
 * ```
 */
import { BerthError } from '@berth/core';

/** Service names and release ids: lowercase letters, digits and `-`, like DNS labels. */
const namePattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Release ids also allow `.` and `_` (e.g. `20250102T030405Z-abc123`), never `..` or `/`. */
const releaseIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The paths of one service on a host. */
export interface HostLayout {
  readonly baseDir: string;
  readonly serviceDir: string;
  readonly releasesDir: string;
  readonly manifestsDir: string;
  readonly envDir: string;
  readonly revisionsDir: string;
  readonly unitsDir: string;
  readonly currentLink: string;
  readonly currentRevisionFile: string;
  /** systemd: what the last start of the unit left (see `UnitStart` in systemd-units.ts). */
  readonly unitStartFile: string;
  readonly historyFile: string;
  readonly lockDir: string;
  release(releaseId: string): string;
  manifest(releaseId: string): string;
  /** Marker written once a release is uploaded and installed. */
  readyMarker(releaseId: string): string;
  revision(revision: string): string;
  envFile(revision: string): string;
  unitCopy(revision: string): string;
}

function invalid(what: string, value: string, rule: string): BerthError {
  return new BerthError('PROVIDER_OPTIONS_INVALID', `Invalid ${what} ${JSON.stringify(value)}: ${rule}.`, {
    hint: `Use a ${what} that ${rule}.`,
    details: { issues: [{ path: what, message: rule, hint: `Use a ${what} that ${rule}.` }] },
  });
}

/** Throws unless `name` is a service name safe for paths and unit names. */
export function assertServiceName(name: string): string {
  if (!namePattern.test(name)) {
    throw invalid('service name', name, 'is lowercase letters, digits and -, at most 63 characters');
  }
  return name;
}

/** Throws unless `id` is a release id safe as one path segment. */
export function assertReleaseId(id: string): string {
  if (!releaseIdPattern.test(id) || id.includes('..')) {
    throw invalid('release id', id, 'is letters, digits, `.`, `_` and `-`, without `..`');
  }
  return id;
}

/**
 * Throws unless `path` is an absolute, normalised path without control characters: no `.` or `..`
 * segments, no `//`, no trailing `/` (except `/` itself is refused too: nothing is deployed there).
 */
export function assertHostPath(path: string, what = 'base folder'): string {
  const problem = !path.startsWith('/')
    ? 'is absolute (starts with /)'
    : /[\u0000-\u001f\u007f]/.test(path)
      ? 'has no control characters (newlines, tabs…)'
      : path === '/' || path.endsWith('/') || path.includes('//')
        ? 'is a normalised folder path other than / (no trailing or double /)'
        : path.split('/').some((segment) => segment === '.' || segment === '..')
          ? 'has no . or .. segments'
          : undefined;
  if (problem) throw invalid(what, path, problem);
  return path;
}

/** The layout of `service` under `baseDir`; validates both. */
export function hostLayout(baseDir: string, service: string): HostLayout {
  const serviceDir = `${assertHostPath(baseDir)}/${assertServiceName(service)}`;
  const releasesDir = `${serviceDir}/releases`;
  const manifestsDir = `${serviceDir}/manifests`;
  const envDir = `${serviceDir}/env`;
  const revisionsDir = `${serviceDir}/revisions`;
  const unitsDir = `${serviceDir}/units`;
  return {
    baseDir,
    serviceDir,
    releasesDir,
    manifestsDir,
    envDir,
    revisionsDir,
    unitsDir,
    currentLink: `${serviceDir}/current`,
    currentRevisionFile: `${serviceDir}/current-revision`,
    unitStartFile: `${serviceDir}/unit-start`,
    historyFile: `${serviceDir}/history.jsonl`,
    lockDir: `${serviceDir}/.lock`,
    release: (id) => `${releasesDir}/${assertReleaseId(id)}`,
    manifest: (id) => `${manifestsDir}/${assertReleaseId(id)}.json`,
    readyMarker: (id) => `${manifestsDir}/${assertReleaseId(id)}.ready`,
    revision: (revision) => `${revisionsDir}/${assertReleaseId(revision)}.json`,
    envFile: (revision) => `${envDir}/${assertReleaseId(revision)}.env`,
    unitCopy: (revision) => `${unitsDir}/${assertReleaseId(revision)}.service`,
  };
}

/**
 * A release id that sorts by time: `20250102T030405Z-<revision>` (the revision cut to its safe
 * characters). Pure.
 */
export function makeReleaseId(now: number, revision: string): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  const suffix = revision
    .replace(/[^A-Za-z0-9._-]/g, '')
    .replace(/\.\.+/g, '.')
    .slice(0, 40);
  return assertReleaseId(suffix ? `${stamp}-${suffix}` : stamp);
}
