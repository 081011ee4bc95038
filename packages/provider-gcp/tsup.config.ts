import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  splitting: true,
  // gcp-clients.ts and lazy-schema.ts load the SDKs and zod with createRequire(import.meta.url), also in the CJS build.
  shims: true,
  external: ['@berth/core'],
});
