/**
 * What installing a package pulls in: `@berth/core` carries no Docker client, provider packages carry
 * only their SDKs (no emulator's or image pipeline's dependencies), and every package that a
 * package's code imports at run time is one of its dependencies or peers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packagesDir = fileURLToPath(new URL('../packages/', import.meta.url));

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifest = (folder: string): Manifest =>
  JSON.parse(readFileSync(join(packagesDir, folder, 'package.json'), 'utf8')) as Manifest;
const runtimeDependencies = (folder: string): string[] => Object.keys(manifest(folder).dependencies ?? {});

function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      // Test helpers (`src/test-support/`) are not part of a package's build.
      if (statSync(path).isDirectory()) {
        if (entry !== 'test-support') walk(path);
      } else if (/\.ts$/.test(entry) && !/\.test\.ts$|\.test-support\.ts$/.test(entry)) files.push(path);
    }
  };
  walk(join(packagesDir, folder, 'src'));
  return files;
}

/** Bare packages a file loads at run time (`import type` is erased and does not count). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^import(?!\s+type\b)[^;]*?from\s+'([^']+)'/gms),
    ...text.matchAll(/^export(?!\s+type\b)[^;]*?from\s+'([^']+)'/gms),
    ...text.matchAll(/\bimport\('([^']+)'\)/g),
    ...text.matchAll(/\brequire[A-Za-z]*\('([^']+)'\)/g),
  ].map((match) => match[1] ?? '');
  return specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
}

const folders = readdirSync(packagesDir).filter((folder) =>
  statSync(join(packagesDir, folder)).isDirectory(),
);

describe('package footprints', () => {
  it('folder names are package names', () => {
    for (const folder of folders) expect(manifest(folder).name).toBe(`@berth/${folder}`);
  });

  it('@berth/core depends on no Docker client and not on vitest', () => {
    expect(runtimeDependencies('core')).toEqual(['zod']);
  });

  it('provider packages carry no emulator or image pipeline dependency they do not use', () => {
    for (const folder of folders.filter((name) => name.startsWith('provider-'))) {
      const dependencies = runtimeDependencies(folder);
      expect([
        folder,
        dependencies.filter((name) => /^@berth\/emulator-|^protobufjs$|^tar-fs$/.test(name)),
      ]).toEqual([folder, []]);
    }
    // Cloud providers take an image builder from the caller; they never carry a Docker client.
    for (const folder of ['provider-gcp', 'provider-aws', 'provider-do'])
      expect([
        folder,
        runtimeDependencies(folder).filter((name) => /^@berth\/docker$|^dockerode$/.test(name)),
      ]).toEqual([folder, []]);
  });

  it('every package a package loads at run time is one of its dependencies or peers', () => {
    for (const folder of folders) {
      const { name, dependencies = {}, peerDependencies = {} } = manifest(folder);
      const declared = new Set([name, ...Object.keys(dependencies), ...Object.keys(peerDependencies)]);
      const undeclared = sourceFiles(folder).flatMap((file) =>
        runtimeImports(file)
          .filter((specifier) => !declared.has(specifier))
          .map((specifier) => `${file.slice(packagesDir.length)}: ${specifier}`),
      );
      expect(undeclared).toEqual([]);
    }
  });
});
