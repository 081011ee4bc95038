import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DoEmulator } from '@berth/emulator-do';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../../examples/do-app-platform.ts';
import { doTestEnvironment, emulatorOptions, startTestEmulator } from './test-support/do-test-kit.js';

// examples/do-app-platform.ts, unchanged, against the emulator and the local registry.
const environment = doTestEnvironment();
const { registry } = environment;
let emulator: DoEmulator & { registryName: string };
let stateDir: string;

beforeAll(async () => {
  emulator = await startTestEmulator(registry);
  stateDir = await mkdtemp(join(tmpdir(), 'berth-do-example-'));
});
afterAll(async () => {
  await emulator?.close();
  await rm(stateDir, { recursive: true, force: true });
}, 120_000);

it('the App Platform example deploys hello-agent and removes it again', async () => {
  const options = {
    baseImage: environment.images.node,
    stateDir,
    provider: emulatorOptions(emulator, registry.host),
  };
  const up = await main(options);
  expect(up.error).toBeUndefined();
  expect(up.status).toBe('succeeded');
  const url = 'url' in up ? up.url : undefined;
  expect((await fetch(`${url}/.well-known/health`)).status).toBe(200);
  const again = await main(options);
  expect(again.status).toBe('noop');
  const down = await main({ ...options, command: 'down' });
  expect(down.status).toBe('destroyed');
}, 240_000);
