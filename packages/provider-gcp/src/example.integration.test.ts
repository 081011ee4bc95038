import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GcpEmulator, startGcpEmulator, staticTokenAuthClient } from '@berth/emulator-gcp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../../examples/gcp-cloud-run.ts';
import { requireTestEnvironment } from '../../../test-support/test-env.js';

// examples/gcp-cloud-run.ts, unchanged, against the emulator and the local registry.
const environment = requireTestEnvironment(['docker', 'registry', 'images']);
const { registry } = environment;
let emulator: GcpEmulator;
let stateDir: string;

beforeAll(async () => {
  emulator = await startGcpEmulator({
    registryAuth: { [registry.host]: { username: registry.username, password: registry.password } },
  });
  stateDir = await mkdtemp(join(tmpdir(), 'berth-gcp-example-'));
});
afterAll(async () => {
  await emulator?.close();
  await rm(stateDir, { recursive: true, force: true });
});

it('the Cloud Run example deploys hello-agent and removes it again', async () => {
  const options = {
    project: 'berth-example',
    region: 'us-central1',
    baseImage: environment.images.node,
    stateDir,
    provider: {
      endpoint: { apiEndpoint: '127.0.0.1', port: emulator.port, protocol: 'http' as const },
      authClient: staticTokenAuthClient(),
      registry: {
        host: registry.host,
        credentials: { username: registry.username, password: registry.password },
      },
    },
  };
  const up = await main(options);
  expect(up.error).toBeUndefined();
  expect(up.status).toBe('succeeded');
  const url = 'url' in up ? up.url : undefined;
  const health = await fetch(`${url}/.well-known/health`);
  expect(health.status).toBe(200);
  const down = await main({ ...options, command: 'down' });
  expect(down.status).toBe('destroyed');
}, 240_000);
