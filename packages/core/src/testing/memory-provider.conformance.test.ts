import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStateStore } from '../state/file-state-store.js';
import { describeProviderConformance } from './describe-provider-conformance.js';
import { memoryProvider } from './memory-provider.js';

const stateRoot = await mkdtemp(join(tmpdir(), 'berth-conformance-state-'));

describeProviderConformance({
  name: 'memoryProvider',
  provider: () => memoryProvider(),
  spec: () => ({ name: 'x', image: { ref: 'memory/conformance@sha256:aaaa' }, health: { timeoutMs: 5_000 } }),
});

describeProviderConformance({
  name: 'memoryProvider (verify before traffic, provider lock)',
  provider: () => memoryProvider({ verifyBeforeTraffic: true, locks: true }),
  spec: () => ({ name: 'x', image: { ref: 'memory/conformance@sha256:bbbb' }, health: { timeoutMs: 5_000 } }),
});

describeProviderConformance({
  name: 'memoryProvider (no secret store)',
  provider: () => memoryProvider({ secretStore: false }),
  spec: () => ({ name: 'x', image: { ref: 'memory/conformance@sha256:cccc' }, health: { timeoutMs: 5_000 } }),
});

describeProviderConformance({
  name: 'memoryProvider (file state store)',
  provider: () => memoryProvider(),
  spec: () => ({ name: 'x', image: { ref: 'memory/conformance@sha256:ffff' }, health: { timeoutMs: 5_000 } }),
  state: () => fileStateStore({ dir: join(stateRoot, '.deployment') }),
});
