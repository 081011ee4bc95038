/**
 * The files of the fresh projects the install smoke test creates (scripts/smoke-install.ts): what a
 * user writes, in each module system, to import every entry point and deploy on `memoryProvider`.
 */
import type { PackageEntry } from '../lib/workspace-packages.ts';

/** An entry as the generated programs see it. */
export interface SmokeEntry {
  specifier: string;
  /** The entry has a `require` condition (else a CommonJS caller uses `import()`). */
  requirable: boolean;
  /** Optional peer dependencies of its package: an entry may need one (vitest for conformance suites). */
  optionalPeers: string[];
}

export function smokeEntry(entry: PackageEntry, optionalPeers: string[]): SmokeEntry {
  return { specifier: entry.specifier, requirable: entry.requireTypes !== undefined, optionalPeers };
}

/** A secret value the deploy passes; it must not appear in the result. */
const SECRET = 'smoke-secret-value-7f3a9c';

/**
 * Loads every entry; an entry may fail only because an optional peer of its package is not installed.
 * Prints one JSON line `{ loaded, needsPeer, failed }`.
 */
function loadEntriesBody(load: string): string {
  return `
const entries = __ENTRIES__;
const loaded = [];
const needsPeer = [];
const failed = [];
for (const entry of entries) {
  try {
    const module = ${load};
    const names = Object.keys(module).filter((name) => name !== 'default' && name !== 'module.exports');
    if (names.length === 0) failed.push({ specifier: entry.specifier, error: 'the entry exports nothing' });
    else loaded.push(entry.specifier);
  } catch (error) {
    const message = String(error && error.message);
    const peer = entry.optionalPeers.find((name) => /MODULE_NOT_FOUND/.test(error && error.code) && message.includes("'" + name + "'"));
    if (peer) needsPeer.push({ specifier: entry.specifier, peer });
    else failed.push({ specifier: entry.specifier, error: (error && error.stack) || message });
  }
}
console.log(JSON.stringify({ loaded, needsPeer, failed }));
`;
}

/** Deploys on `memoryProvider`, checks the result and a bad spec's error; the process must then exit by itself. */
function deployBody(): string {
  return `
const fail = (message, detail) => {
  console.error('deploy check failed: ' + message + (detail === undefined ? '' : '\\n' + JSON.stringify(detail, null, 2)));
  process.exit(1);
};
const spec = {
  name: 'smoke',
  image: { ref: 'registry.example/smoke@sha256:' + 'a'.repeat(64) },
  env: { GREETING: 'hello' },
  secrets: { API_KEY: { value: '${SECRET}' } },
};
const result = await deploy(spec, { provider: memoryProvider(), state: memoryStateStore() });
if (result.status !== 'succeeded') fail('status is ' + result.status + ', expected succeeded', result);
if (typeof result.url !== 'string' || !result.url.startsWith('http')) fail('no URL in the result', result);
if (JSON.stringify(result).includes('${SECRET}')) fail('the secret value appears in the result');
const bad = await deploy({ name: 'Not A DNS Label', image: { ref: 'x' } }, { provider: memoryProvider(), state: memoryStateStore() });
if (bad.status !== 'failed' || bad.error?.code !== 'SPEC_INVALID' || !bad.error?.hint)
  fail('a bad spec did not fail with SPEC_INVALID and a hint', bad);
if (!BerthError.isInstance(toBerthError(new Error('x')))) fail('toBerthError did not return a BerthError');
console.log('deployed ' + result.url);
`;
}

export function esmFiles(entries: SmokeEntry[]): Record<string, string> {
  return {
    'entries.mjs': loadEntriesBody('await import(entry.specifier)').replace(
      '__ENTRIES__',
      JSON.stringify(entries),
    ),
    'deploy.mjs': `import { BerthError, deploy, memoryStateStore, toBerthError } from '@berth/core';
import { memoryProvider } from '@berth/core/testing';
${deployBody()}`,
  };
}

export function cjsFiles(entries: SmokeEntry[]): Record<string, string> {
  return {
    'entries.cjs': `(async () => {${loadEntriesBody(
      'entry.requirable ? require(entry.specifier) : await import(entry.specifier)',
    ).replace('__ENTRIES__', JSON.stringify(entries))}})();\n`,
    'deploy.cjs': `const { BerthError, deploy, memoryStateStore, toBerthError } = require('@berth/core');
const { memoryProvider } = require('@berth/core/testing');
(async () => {${deployBody()}})().catch((error) => { console.error(error); process.exit(1); });\n`,
  };
}

/** TypeScript that imports every entry and uses the typed API; `@ts-expect-error` lines must stay errors. */
function typedUsage(entries: SmokeEntry[]): string {
  const imports = entries.map((entry, index) => `import * as entry${index} from '${entry.specifier}';`);
  return `${imports.join('\n')}
import { type DeployResult, deploy, type ServiceSpecInput } from '@berth/core';
import { createFakeClock, memoryProvider } from '@berth/core/testing';

export const entries = [${entries.map((_, index) => `entry${index}`).join(', ')}];
const spec: ServiceSpecInput = { name: 'smoke', image: { ref: 'registry.example/smoke:1' }, port: 8080 };
// @ts-expect-error a spec needs an image
export const noImage: ServiceSpecInput = { name: 'smoke' };
// @ts-expect-error the port is a number
export const badPort: ServiceSpecInput = { name: 'smoke', image: { ref: 'x' }, port: '8080' };
export const clock = createFakeClock();
export function run(): Promise<DeployResult> {
  return deploy(spec, { provider: memoryProvider() });
}
`;
}

const tsCompilerBase = {
  target: 'es2022',
  strict: true,
  noEmit: true,
  types: ['node'],
  // The check is about our declarations as a consumer meets them, not about our dependencies' own.
  skipLibCheck: true,
};

/** `module`/`moduleResolution: node16` in a CommonJS package: `index.ts` is CommonJS (require conditions, `.d.cts`), `esm.mts` is ESM. */
export function tsNode16Files(entries: SmokeEntry[]): Record<string, string> {
  return {
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: { ...tsCompilerBase, module: 'node16', moduleResolution: 'node16' },
        include: ['*.ts', '*.mts'],
      },
      null,
      2,
    ),
    'index.ts': typedUsage(entries.filter((entry) => entry.requirable)),
    'esm.mts': typedUsage(entries),
  };
}

export function tsBundlerFiles(entries: SmokeEntry[]): Record<string, string> {
  return {
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: { ...tsCompilerBase, module: 'esnext', moduleResolution: 'bundler' },
        include: ['*.ts'],
      },
      null,
      2,
    ),
    'index.ts': typedUsage(entries),
  };
}

/** A third-party provider package built with tsc against the packed core, and an app that deploys with it. */
export function providerFiles(providerSource: string): Record<string, string> {
  return {
    'tsconfig.json': JSON.stringify(
      {
        compilerOptions: {
          ...tsCompilerBase,
          noEmit: false,
          module: 'node16',
          moduleResolution: 'node16',
          declaration: true,
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
      },
      null,
      2,
    ),
    'src/minimal-provider.ts': providerSource,
    'deploy.mjs': `import { deploy, memoryStateStore } from '@berth/core';
import { minimalProvider } from './dist/minimal-provider.js';

const result = await deploy(
  { name: 'smoke', image: { ref: 'registry.example/smoke:1' }, env: { GREETING: 'hello' } },
  { provider: minimalProvider(), state: memoryStateStore() },
);
if (result.status !== 'succeeded') {
  console.error('deploy with the minimal provider: ' + JSON.stringify(result, null, 2));
  process.exit(1);
}
console.log('deployed ' + result.url);
`,
  };
}
