/**
 * The `homepage`, `repository` (with `directory`) and `bugs` fields of every package manifest, defined
 * once here so that every package (new ones included) says the same thing.
 *
 *   node scripts/package-metadata.ts --check   fail when a manifest differs (part of `pnpm check:packages`)
 *   node scripts/package-metadata.ts --write   set the fields in every manifest
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { workspacePackages } from './lib/workspace-packages.ts';

/** PLACEHOLDER: the public repository is not confirmed yet; change it here and run `--write`. */
const REPOSITORY = 'https://github.com/berth-sdk/berth';

function metadataFor(folder: string) {
  return {
    homepage: `${REPOSITORY}/tree/main/packages/${folder}#readme`,
    repository: { type: 'git', url: `git+${REPOSITORY}.git`, directory: `packages/${folder}` },
    bugs: { url: `${REPOSITORY}/issues` },
  };
}

const mode = process.argv[2];
if (mode !== '--check' && mode !== '--write') {
  console.error('usage: node scripts/package-metadata.ts --check | --write');
  process.exit(2);
}

const wrong: string[] = [];
for (const pkg of workspacePackages()) {
  const file = join(pkg.dir, 'package.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const wanted = metadataFor(pkg.folder);
  const differs = Object.entries(wanted).filter(
    ([field, value]) => JSON.stringify(manifest[field]) !== JSON.stringify(value),
  );
  if (differs.length === 0) continue;
  if (mode === '--check') {
    wrong.push(`${pkg.name}: ${differs.map(([field]) => field).join(', ')}`);
    continue;
  }
  // Keep the field order readable: the metadata goes right after `license`.
  const next: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(manifest)) {
    if (field in wanted) continue;
    next[field] = value;
    if (field === 'license') Object.assign(next, wanted);
  }
  if (!('license' in manifest)) Object.assign(next, wanted);
  writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
  console.log(`package-metadata: wrote ${pkg.name}`);
}
if (wrong.length > 0) {
  console.error(
    `package-metadata: these manifests differ from scripts/package-metadata.ts:\n  ${wrong.join('\n  ')}\n` +
      'Run `node scripts/package-metadata.ts --write`.',
  );
  process.exit(1);
}
