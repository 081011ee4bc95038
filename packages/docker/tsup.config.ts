import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'ignore/index': 'src/ignore/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // build-context.ts and lazy-docker-engine.ts load tar-fs and dockerode with createRequire(import.meta.url), also in the CJS build.
  shims: true,
  splitting: true,
  external: ['@berth/core', 'dockerode', 'tar-fs', '@balena/dockerignore'],
});
