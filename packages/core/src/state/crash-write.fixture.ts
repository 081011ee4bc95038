// Child process for crash-write.test.ts: writes growing states as fast as it can until killed.
import { fileStateStore } from './file-state-store.js';
import { STATE_SCHEMA_VERSION } from './state-store.js';

const store = fileStateStore({ dir: process.argv[2]! });
const padding = 'x'.repeat(64 * 1024);
let counter = 0;
process.stdout.write('ready\n');
while (true) {
  counter += 1;
  await store.write('app-dev', {
    schemaVersion: STATE_SCHEMA_VERSION,
    service: 'app-dev',
    name: 'app',
    environment: 'dev',
    provider: 'memory',
    fingerprintKey: 'key',
    revisionCounter: counter,
    history: Array.from({ length: 1 + (counter % 7) }, (_item, index) => ({
      id: `${counter}-${index}`,
      kind: 'deploy' as const,
      status: 'succeeded' as const,
      startedAt: padding,
      endedAt: '',
      actor: { host: 'h', user: 'u', pid: process.pid },
      verified: true,
      phases: [],
    })),
  });
}
