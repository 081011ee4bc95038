/**
 * Install smoke test: what a user meets first is the published package, so pack every package
 * (`pnpm pack`), install the tarballs into fresh projects the way a user would, and use them:
 *
 * - `esm`: ESM JavaScript; imports every entry point, deploys on `memoryProvider`;
 * - `cjs`: CommonJS JavaScript; `require()`s every entry point (ESM-only ones with `import()`), deploys;
 * - `ts-node16`: TypeScript, `module`/`moduleResolution: node16`, a CommonJS file and an ESM file; typechecks;
 * - `ts-bundler`: TypeScript, `moduleResolution: bundler`; typechecks;
 * - `provider`: the minimal provider example (examples/minimal-provider) built with tsc against the packed
 *   core as a third party would, then a deploy with it.
 *
 * Only the npm registry is needed: the packages' `@berth/*` dependencies resolve to the tarballs through
 * npm `overrides`. The JavaScript projects install no optional peer (vitest), so `@berth/core/testing`
 * must work without it; an entry that needs an optional peer is reported and skipped there. Each project
 * runs one `npm install`; npm's cache lives in the temporary folder, which is removed at the end
 * (`BERTH_SMOKE_KEEP=1` keeps it for a look). Every failure is collected and printed; the exit code is 1
 * when there is one. Run `pnpm build` first. Root script: `pnpm smoke:install`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, type WorkspacePackage, workspacePackages } from './lib/workspace-packages.ts';
import {
  cjsFiles,
  esmFiles,
  providerFiles,
  type SmokeEntry,
  smokeEntry,
  tsBundlerFiles,
  tsNode16Files,
} from './smoke/project-files.ts';

const run = promisify(execFile);
const started = Date.now();
const failures: string[] = [];
const notes: string[] = [];
const log = (line: string) => console.log(`[smoke ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);

const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
/** A tool at the version this repository pins. */
const pinned = (name: string) => {
  const version = rootManifest.devDependencies[name];
  if (!version) throw new Error(`the root package.json does not pin ${name}`);
  return version;
};

const work = mkdtempSync(join(tmpdir(), 'berth-smoke-'));
const npmEnv = {
  ...process.env,
  npm_config_cache: join(work, 'npm-cache'),
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
  npm_config_loglevel: 'error',
};

/** Run a command; a failure is recorded with its output, not thrown. */
async function step(label: string, command: string, args: string[], cwd: string, timeoutMs = 300_000) {
  try {
    const { stdout } = await run(command, args, {
      cwd,
      env: npmEnv,
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (error) {
    const {
      stdout = '',
      stderr = '',
      killed,
      message,
    } = error as {
      stdout?: string;
      stderr?: string;
      killed?: boolean;
      message: string;
    };
    // The message repeats stderr: keep its first line (the command); the output is printed once below.
    const why = killed
      ? `did not finish within ${timeoutMs / 1000} s (a process that does not exit by itself?)`
      : message.split('\n')[0];
    failures.push(`${label}: ${why}\n${`${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n')}`);
    return undefined;
  }
}

function writeFiles(dir: string, files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

async function pack(packages: WorkspacePackage[]): Promise<Map<string, string>> {
  const destination = join(work, 'tarballs');
  const tarballs = new Map<string, string>();
  for (const pkg of packages) {
    const missing = pkg.entries
      .map((entry) => join(pkg.dir, entry.importTypes))
      .filter((file) => !existsSync(file));
    if (missing.length > 0)
      throw new Error(`${pkg.name} is not built (${missing[0]} is missing): run pnpm build`);
    const out = await step(
      `pnpm pack ${pkg.name}`,
      'pnpm',
      ['pack', '--pack-destination', destination],
      pkg.dir,
    );
    const tarball = join(destination, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
    if (out !== undefined && !existsSync(tarball)) failures.push(`pnpm pack ${pkg.name}: no ${tarball}`);
    tarballs.set(pkg.name, tarball);
  }
  return tarballs;
}

/** package.json of a fresh project: every tarball, and npm `overrides` so nested `@berth/*` use them too. */
function projectManifest(
  name: string,
  tarballs: Map<string, string>,
  extra: { type?: 'module'; dependencies?: Record<string, string>; devDependencies?: Record<string, string> },
) {
  const dependencies: Record<string, string> = { ...extra.dependencies };
  const overrides: Record<string, string> = {};
  for (const [pkg, tarball] of tarballs) {
    dependencies[pkg] = `file:${tarball}`;
    overrides[pkg] = `$${pkg}`; // npm: an override of a direct dependency refers to its spec
  }
  return `${JSON.stringify(
    {
      name: `berth-smoke-${name}`,
      version: '0.0.0',
      private: true,
      ...(extra.type ? { type: extra.type } : {}),
      dependencies,
      ...(extra.devDependencies ? { devDependencies: extra.devDependencies } : {}),
      overrides,
    },
    null,
    2,
  )}\n`;
}

/** Parse `entries.*js` output and record failures and skipped entries. */
function checkEntries(project: string, output: string | undefined, expected: number) {
  if (output === undefined) return;
  const report = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as {
    loaded: string[];
    needsPeer: { specifier: string; peer: string }[];
    failed: { specifier: string; error: string }[];
  };
  for (const { specifier, error } of report.failed)
    failures.push(`${project}: ${specifier} does not load\n${error}`);
  for (const { specifier, peer } of report.needsPeer)
    notes.push(`${project}: ${specifier} needs the optional peer ${peer} (not installed there)`);
  log(`${project}: ${report.loaded.length}/${expected} entries loaded`);
}

async function main() {
  const packages = workspacePackages();
  const peersOf = (pkg: WorkspacePackage) => {
    const meta = (pkg.manifest.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
    return Object.keys(meta).filter((name) => meta[name]?.optional && !name.startsWith('@berth/'));
  };
  const entries: SmokeEntry[] = packages.flatMap((pkg) =>
    pkg.entries.map((entry) => smokeEntry(entry, peersOf(pkg))),
  );
  const optionalPeers = Object.fromEntries(
    [...new Set(packages.flatMap(peersOf))].map((name) => [name, pinned(name)] as const),
  );
  log(`${packages.length} packages, ${entries.length} entry points; working in ${work}`);

  const tarballs = await pack(packages);
  if (failures.length > 0) return;
  log(`packed ${tarballs.size} tarballs`);

  const typescript = { typescript: pinned('typescript'), '@types/node': pinned('@types/node') };
  const minimalProvider = readFileSync(
    join(repoRoot, 'examples/minimal-provider/src/minimal-provider.ts'),
    'utf8',
  );
  const projects = [
    { name: 'esm', type: 'module' as const, files: esmFiles(entries) },
    { name: 'cjs', files: cjsFiles(entries) },
    {
      name: 'ts-node16',
      files: tsNode16Files(entries),
      devDependencies: { ...typescript, ...optionalPeers },
    },
    {
      name: 'ts-bundler',
      type: 'module' as const,
      files: tsBundlerFiles(entries),
      devDependencies: { ...typescript, ...optionalPeers },
    },
    {
      name: 'provider',
      type: 'module' as const,
      files: providerFiles(minimalProvider),
      devDependencies: typescript,
    },
  ];

  await Promise.all(
    projects.map(async (project) => {
      const dir = join(work, project.name);
      mkdirSync(dir, { recursive: true });
      writeFiles(dir, {
        ...project.files,
        'package.json': projectManifest(project.name, tarballs, project),
      });
      const installed = await step(
        `${project.name}: npm install`,
        'npm',
        ['install', '--ignore-scripts'],
        dir,
      );
      if (installed === undefined) return;
      log(`${project.name}: installed`);
      const node = process.execPath;
      const tsc = join(dir, 'node_modules/typescript/bin/tsc');
      switch (project.name) {
        case 'esm':
          checkEntries(
            'esm',
            await step('esm: import every entry', node, ['entries.mjs'], dir),
            entries.length,
          );
          if (await step('esm: deploy on memoryProvider', node, ['deploy.mjs'], dir, 60_000))
            log('esm: deployed');
          break;
        case 'cjs':
          checkEntries(
            'cjs',
            await step('cjs: require every entry', node, ['entries.cjs'], dir),
            entries.length,
          );
          if (await step('cjs: deploy on memoryProvider', node, ['deploy.cjs'], dir, 60_000))
            log('cjs: deployed');
          break;
        case 'ts-node16':
        case 'ts-bundler':
          if ((await step(`${project.name}: tsc`, node, [tsc, '-p', '.'], dir)) !== undefined)
            log(`${project.name}: typechecked`);
          break;
        case 'provider':
          if ((await step('provider: tsc build', node, [tsc, '-p', '.'], dir)) === undefined) break;
          log('provider: built');
          if (await step('provider: deploy with minimalProvider', node, ['deploy.mjs'], dir, 60_000))
            log('provider: deployed');
          break;
      }
    }),
  );
}

try {
  await main();
} catch (error) {
  failures.push(String((error as Error).stack ?? error));
} finally {
  if (process.env.BERTH_SMOKE_KEEP === '1') console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
for (const note of notes) console.log(`note: ${note}`);
if (failures.length > 0) {
  console.error(`\nsmoke:install FAILED (${failures.length}):\n\n${failures.join('\n\n')}`);
  process.exit(1);
}
log('smoke:install passed');
