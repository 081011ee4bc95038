import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/** Tests import the packages' sources, so `pnpm test` needs no build first. */
const alias = [
  { find: /^@berth\/core$/, replacement: `${root}packages/core/src/index.ts` },
  { find: /^@berth\/core\/(.*)$/, replacement: `${root}packages/core/src/$1/index.ts` },
  { find: /^@berth\/docker$/, replacement: `${root}packages/docker/src/index.ts` },
  { find: /^@berth\/docker\/(.*)$/, replacement: `${root}packages/docker/src/$1/index.ts` },
  { find: /^@berth\/cli$/, replacement: `${root}packages/cli/src/index.ts` },
  { find: /^@berth\/provider-([a-z]+)$/, replacement: `${root}packages/provider-$1/src/index.ts` },
  { find: /^@berth\/provider-([a-z]+)\/(.*)$/, replacement: `${root}packages/provider-$1/src/$2/index.ts` },
  { find: /^@berth\/emulator-([a-z]+)$/, replacement: `${root}packages/emulator-$1/src/index.ts` },
  { find: /^@berth\/emulator-([a-z]+)\/(.*)$/, replacement: `${root}packages/emulator-$1/src/$2/index.ts` },
  { find: /^@berth\/state-([a-z0-9]+)$/, replacement: `${root}packages/state-$1/src/index.ts` },
];

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'examples/**/*.test.ts',
            'scripts/**/*.test.ts',
            'test-support/**/*.test.ts',
            'bench/*.test.ts',
          ],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**', '**/dist/**'],
          testTimeout: 20_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: [
            'packages/*/src/**/*.integration.test.ts',
            'packages/*/test/**/*.integration.test.ts',
            'examples/**/*.integration.test.ts',
            'bench/trials/*.integration.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/dist/**'],
          // Integration tests share one Docker engine, registry and sshd on a 2-core machine.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
