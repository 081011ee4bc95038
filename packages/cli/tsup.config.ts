import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', bin: 'src/bin.ts', 'define-config': 'src/define-config.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'define-config': 'src/define-config.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node22',
  splitting: true,
  external: [/^@berth\//, 'commander', 'jiti', 'yaml', 'zod'],
});
