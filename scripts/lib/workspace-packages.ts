/**
 * The published packages of this repository and their public entry points, read from the manifests
 * (`packages/<folder>/package.json`), so that every script that checks packages picks up a new package
 * or a new `exports` entry without being edited.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** One public entry point: `@berth/core/testing` is `{ subpath: './testing', specifier: '@berth/core/testing' }`. */
export interface PackageEntry {
  subpath: string;
  specifier: string;
  /** File-friendly name: `index` for `.`, else the subpath without `./` (slashes become `-`). */
  name: string;
  /** Declarations served to `import` (`.d.ts`), relative to the package folder. */
  importTypes: string;
  /** Declarations served to `require` (`.d.cts`), when the entry has a `require` condition. */
  requireTypes?: string;
}

export interface WorkspacePackage {
  name: string;
  version: string;
  /** Absolute path of the package folder. */
  dir: string;
  /** Folder name under `packages/`. */
  folder: string;
  manifest: Manifest;
  entries: PackageEntry[];
  /** Names of `@berth/*` packages this one depends on (dependencies, peer and optional dependencies). */
  workspaceDependencies: string[];
}

interface Condition {
  types?: string;
  default?: string;
}
interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, string | { import?: Condition; require?: Condition }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

function entriesOf(manifest: Manifest): PackageEntry[] {
  const entries: PackageEntry[] = [];
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    if (subpath === './package.json' || typeof target === 'string') continue;
    const importTypes = target.import?.types;
    if (!importTypes) throw new Error(`${manifest.name}: exports["${subpath}"] has no import.types`);
    entries.push({
      subpath,
      specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      name: subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '-'),
      importTypes,
      ...(target.require?.types ? { requireTypes: target.require.types } : {}),
    });
  }
  return entries;
}

/** Every non-private package under `packages/`, sorted by folder. */
export function workspacePackages(): WorkspacePackage[] {
  const packagesDir = join(repoRoot, 'packages');
  const found: WorkspacePackage[] = [];
  for (const folder of readdirSync(packagesDir).sort()) {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(join(packagesDir, folder, 'package.json'), 'utf8')) as Manifest;
    } catch {
      continue; // not a package folder
    }
    if (manifest.private) continue;
    const dependencyNames = Object.keys({
      ...manifest.dependencies,
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
    });
    found.push({
      name: manifest.name,
      version: manifest.version,
      dir: join(packagesDir, folder),
      folder,
      manifest,
      entries: entriesOf(manifest),
      workspaceDependencies: dependencyNames.filter((name) => name.startsWith('@berth/')),
    });
  }
  return found;
}
