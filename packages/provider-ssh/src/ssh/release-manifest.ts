/**
 * The manifest of a release (every path with its type, mode and content hash) and the transfer
 * plan between two manifests. Pure: which files must be sent, which can be copied on the host from
 * the previous release, and the checks on what comes back from the host.
 */

/** One path of a release folder. Modes are normalised: files 0644 or 0755, folders 0755. */
export interface ManifestEntry {
  /** Relative, `/`-separated. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  /** Files: hex sha256 of the content. */
  sha256?: string;
  /** Symlinks: where the link points. */
  target?: string;
}

/** What a release holds; stored on the host as `manifests/<release-id>.json`. */
export interface ReleaseManifest {
  version: 1;
  releaseId: string;
  createdAt: string;
  entries: ManifestEntry[];
}

/** What a transfer does. */
export interface TransferPlan {
  directories: string[];
  /** Files identical (content and mode) to the previous release's: copied on the host. */
  copy: ManifestEntry[];
  /** Files to send over SFTP. */
  upload: ManifestEntry[];
  symlinks: ManifestEntry[];
  totalFiles: number;
  totalBytes: number;
  uploadBytes: number;
}

/** The mode Berth gives a file: executable for anyone when the owner could run it locally. */
export function normaliseFileMode(mode: number): number {
  return mode & 0o100 ? 0o755 : 0o644;
}

/** Plan a transfer of `next` given the manifest of the release before (if any). */
export function planTransfer(
  next: readonly ManifestEntry[],
  previous: readonly ManifestEntry[] | undefined,
): TransferPlan {
  const before = new Map((previous ?? []).map((entry) => [entry.path, entry]));
  const plan: TransferPlan = {
    directories: [],
    copy: [],
    upload: [],
    symlinks: [],
    totalFiles: 0,
    totalBytes: 0,
    uploadBytes: 0,
  };
  for (const entry of next) {
    if (entry.type === 'directory') plan.directories.push(entry.path);
    else if (entry.type === 'symlink') plan.symlinks.push(entry);
    else {
      plan.totalFiles += 1;
      plan.totalBytes += entry.size;
      const old = before.get(entry.path);
      const same =
        old?.type === 'file' &&
        old.sha256 === entry.sha256 &&
        old.mode === entry.mode &&
        old.size === entry.size;
      if (same) plan.copy.push(entry);
      else {
        plan.upload.push(entry);
        plan.uploadBytes += entry.size;
      }
    }
  }
  return plan;
}

function isEntry(value: unknown): value is ManifestEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return (
    typeof entry.path === 'string' &&
    (entry.type === 'file' || entry.type === 'directory' || entry.type === 'symlink') &&
    typeof entry.mode === 'number' &&
    typeof entry.size === 'number' &&
    (entry.type !== 'file' || (typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256))) &&
    safeRelativePath(entry.path)
  );
}

/** Read a manifest from the host; `undefined` when it is missing or not one (then everything is sent). */
export function parseManifest(text: string | undefined): ReleaseManifest | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<ReleaseManifest>;
    if (value.version !== 1 || !Array.isArray(value.entries) || !value.entries.every(isEntry))
      return undefined;
    return value as ReleaseManifest;
  } catch {
    return undefined;
  }
}

/** A relative path without `..`, empty or absolute parts, or control characters. */
export function safeRelativePath(path: string): boolean {
  return (
    path !== '' &&
    !path.startsWith('/') &&
    !/[\u0000-\u001f\u007f]/.test(path) &&
    path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
  );
}

/**
 * Parse `sha256sum` output into path → hash. Lines of names with a backslash start with `\` and
 * escape it as `\\` (names with newlines never reach this: they are refused before upload).
 */
export function parseSha256sum(output: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^(\\?)([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (!match?.[2] || match[3] === undefined) continue;
    const name = match[1]
      ? match[3].replace(/\\(\\|n)/g, (_, char: string) => (char === 'n' ? '\n' : '\\'))
      : match[3];
    sums.set(name.replace(/^\.\//, ''), match[2]);
  }
  return sums;
}

/** Paths whose hash on the host differs from the manifest (missing ones included). */
export function verifyHashes(
  expected: readonly ManifestEntry[],
  actual: ReadonlyMap<string, string>,
): string[] {
  return expected.filter((entry) => actual.get(entry.path) !== entry.sha256).map((entry) => entry.path);
}
