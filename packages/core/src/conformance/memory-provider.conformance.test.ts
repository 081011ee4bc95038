import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStateStore } from '../state/file-state-store.js';
import { type MemoryProviderOptions, memoryProvider } from '../testing/memory-provider.js';
import { describeProviderConformance } from './describe-provider-conformance.js';

/** Crash the serving revision behind Berth's back. */
const stopService: NonNullable<Parameters<typeof describeProviderConformance>[0]['stopService']> = async (
  provider,
  target,
  revision,
) => {
  const cloud = (provider as ReturnType<typeof memoryProvider>).cloud;
  const program = cloud.services.get(target.service)?.revisions.get(revision)?.program;
  if (program) program.behaviour = { ...program.behaviour, crashAfterMs: 0 };
};

const shared = (options: MemoryProviderOptions, digest: string) => {
  // The option-change provider shares the cloud of the suite's latest provider.
  let provider = memoryProvider(options);
  return {
    provider: () => {
      provider = memoryProvider({ ...options, desiredOptions: () => ({ serviceAccount: 'one@memory' }) });
      return provider;
    },
    spec: () => ({
      name: 'x',
      image: { ref: `memory/conformance@sha256:${digest}` },
      health: { timeoutMs: 5_000 },
    }),
    stopService,
    optionChange: {
      provider: () =>
        Object.assign(Object.create(provider) as typeof provider, {
          desiredOptions: () => ({ serviceAccount: 'two@memory' }),
          close: async () => {},
        }),
      path: 'provider.serviceAccount',
    },
  };
};

describeProviderConformance({ name: 'memoryProvider', ...shared({}, 'aaaa') });

const stateRoot = await mkdtemp(join(tmpdir(), 'berth-conformance-state-'));

describeProviderConformance({
  name: 'memoryProvider (verify before traffic, provider lock)',
  ...shared({ verifyBeforeTraffic: true, locks: true }, 'bbbb'),
});

describeProviderConformance({
  name: 'memoryProvider (no secret store)',
  ...shared({ secretStore: false }, 'cccc'),
});

describeProviderConformance({
  name: 'memoryProvider (file state store)',
  ...shared({}, 'ffff'),
  state: () => fileStateStore({ dir: join(stateRoot, '.deployment') }),
});
