import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    'conformance/index': 'src/conformance/index.ts',
    'plugin-kit/index': 'src/plugin-kit/index.ts',
    'schemas/index': 'src/schemas/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // lazy-schema.ts loads zod with createRequire(import.meta.url), also in the CJS build.
  shims: true,
  splitting: true,
  external: ['vitest'],
});
