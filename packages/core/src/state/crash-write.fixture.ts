// Child process for crash-write.test.ts: appends to the history as fast as it can until killed.
import { fileStateStore } from './file-state-store.js';
import { type HistoryEntry, STATE_SCHEMA_VERSION } from './state-store.js';

const store = fileStateStore({ dir: process.argv[2]! });
const padding = 'x'.repeat(16 * 1024);
const previous = await store.read('app-dev');
const history: HistoryEntry[] = previous?.history ?? [];
let counter = previous?.revisionCounter ?? 0;
process.stdout.write('ready\n');
while (true) {
  counter += 1;
  history.push({
    id: `${process.pid}-${counter}`,
    kind: 'deploy' as const,
    status: 'succeeded' as const,
    startedAt: padding,
    endedAt: '',
    actor: { host: 'h', user: 'u', pid: process.pid },
    verified: true,
    phases: [],
  });
  await store.write('app-dev', {
    schemaVersion: STATE_SCHEMA_VERSION,
    service: 'app-dev',
    name: 'app',
    environment: 'dev',
    provider: 'memory',
    fingerprintKey: 'key',
    revisionCounter: counter,
    history,
  });
}
