/**
 * API reports: `@microsoft/api-extractor` reads the built declarations (`.d.ts`, what `import` gets) of
 * every public entry point of every package and writes `packages/<folder>/api/<entry>.api.md`.
 *
 *   node scripts/api-report.ts --check    fail when an entry's API differs from its committed report
 *   node scripts/api-report.ts --update   rewrite the reports (and remove those of entries that are gone)
 *
 * Run `pnpm build` first. Root scripts: `pnpm api:check`, `pnpm api:update`.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Extractor, ExtractorConfig, ExtractorLogLevel, type IConfigFile } from '@microsoft/api-extractor';
import {
  type PackageEntry,
  repoRoot,
  type WorkspacePackage,
  workspacePackages,
} from './lib/workspace-packages.ts';

const mode = process.argv[2];
if (mode !== '--check' && mode !== '--update') {
  console.error('usage: node scripts/api-report.ts --check | --update');
  process.exit(2);
}
const update = mode === '--update';

function configFor(pkg: WorkspacePackage, entry: PackageEntry, tempFolder: string): IConfigFile {
  return {
    projectFolder: pkg.dir,
    mainEntryPointFilePath: join(pkg.dir, entry.importTypes),
    compiler: {
      // The declarations are built; read them the way a Node ESM consumer does.
      overrideTsconfig: {
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          lib: ['es2023'],
          types: ['node'],
          strict: true,
          skipLibCheck: true,
        },
        files: [join(pkg.dir, entry.importTypes)],
      },
    },
    apiReport: {
      enabled: true,
      reportFileName: entry.name,
      reportFolder: join(pkg.dir, 'api'),
      reportTempFolder: tempFolder,
    },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Error } },
      extractorMessageReporting: {
        default: { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: true },
        // Berth does not use release tags (@public/@beta): every exported name is public.
        'ae-missing-release-tag': { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
        // These two name the built chunk files (hashed names) and line numbers, so they would change the
        // report on every unrelated edit. Forgotten exports are also expected in subpath entries (they
        // reference the root entry's types). Doc comments are the quality bar's job, not the report's.
        'ae-forgotten-export': { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
        'ae-undocumented': { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
        'ae-unresolved-link': { logLevel: ExtractorLogLevel.None, addToApiReportFile: false },
      },
      // Doc comments are written for editors, not for TSDoc's stricter grammar.
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None, addToApiReportFile: false } },
    },
  };
}

const tempFolder = mkdtempSync(join(tmpdir(), 'berth-api-report-'));
const changed: string[] = [];
const failed: string[] = [];
try {
  for (const pkg of workspacePackages()) {
    const reportFolder = join(pkg.dir, 'api');
    mkdirSync(reportFolder, { recursive: true });
    for (const entry of pkg.entries) {
      const declarations = join(pkg.dir, entry.importTypes);
      const report = relative(repoRoot, join(reportFolder, `${entry.name}.api.md`));
      if (!existsSync(declarations)) {
        failed.push(`${entry.specifier}: ${relative(repoRoot, declarations)} is missing (run pnpm build)`);
        continue;
      }
      const config = ExtractorConfig.prepare({
        configObject: configFor(pkg, entry, tempFolder),
        configObjectFullPath: undefined,
        packageJsonFullPath: join(pkg.dir, 'package.json'),
      });
      const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
      if (result.errorCount > 0) failed.push(`${entry.specifier}: ${result.errorCount} error(s) above`);
      else if (result.apiReportChanged) changed.push(`${entry.specifier} (${report})`);
    }
    // Reports of entries that no longer exist.
    const current = new Set(pkg.entries.map((entry) => `${entry.name}.api.md`));
    for (const file of readdirSync(reportFolder).filter((name) => name.endsWith('.api.md'))) {
      if (current.has(file)) continue;
      if (update) rmSync(join(reportFolder, file));
      else
        changed.push(
          `${pkg.name}: ${relative(repoRoot, join(reportFolder, file))} reports an entry that is gone`,
        );
    }
  }
} finally {
  rmSync(tempFolder, { recursive: true, force: true });
}

if (failed.length > 0) {
  console.error(`\napi-report: failed\n  ${failed.join('\n  ')}`);
  process.exit(1);
}
if (changed.length > 0) {
  if (update) console.log(`\napi-report: updated\n  ${changed.join('\n  ')}`);
  else {
    console.error(
      `\napi-report: the public API differs from the committed report:\n  ${changed.join('\n  ')}\n` +
        'If the change is intended, run `pnpm build && pnpm api:update` and commit the reports (and a changeset).',
    );
    process.exit(1);
  }
} else console.log('api-report: every report is up to date');
