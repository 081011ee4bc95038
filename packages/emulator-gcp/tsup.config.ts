import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  splitting: true,
  // The emulator resolves the clients' protos with createRequire(import.meta.url), also in the CJS build.
  shims: true,
});
