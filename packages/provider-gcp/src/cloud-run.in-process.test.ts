import { describeProviderConformance } from '@berth/core/conformance';
import { type GcpEmulator, startGcpEmulator, staticTokenAuthClient } from '@berth/emulator-gcp';
import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterAll } from 'vitest';
import { cloudRun } from './cloud-run-provider.js';

// The whole contract through the official SDK clients and the emulator, with revisions served by an
// in-process runtime (no Docker): the fast tier. The Docker tier is cloud-run.integration.test.ts.
const emulators: GcpEmulator[] = [];
afterAll(async () => {
  for (const emulator of emulators) await emulator.close();
});

const onEmulator = (emulator: GcpEmulator, extra: { serviceAccount?: string } = {}) =>
  cloudRun({
    project: 'berth-test',
    region: 'europe-west1',
    endpoint: { apiEndpoint: '127.0.0.1', port: emulator.port, protocol: 'http' },
    authClient: staticTokenAuthClient(),
    retry: { attempts: 3, baseDelayMs: 10 },
    ...extra,
  });

describeProviderConformance({
  name: 'gcp-cloud-run (emulator, in-process revisions)',
  provider: async () => {
    const emulator = await startGcpEmulator({ runtime: inProcessRuntime() });
    emulators.push(emulator);
    return onEmulator(emulator);
  },
  // The same emulator, with a runtime service account: `provider.serviceAccount` changes.
  optionChange: {
    provider: () =>
      onEmulator(emulators.at(-1)!, { serviceAccount: 'agent@berth-test.iam.gserviceaccount.com' }),
    path: 'provider.serviceAccount',
  },
  spec: () => ({
    name: 'unused',
    image: { ref: `registry.test/berth/health@sha256:${'a'.repeat(64)}` },
    port: 8080,
  }),
});
