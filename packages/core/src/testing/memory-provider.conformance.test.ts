import { describeProviderConformance } from './describe-provider-conformance.js';
import { memoryProvider } from './memory-provider.js';

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
