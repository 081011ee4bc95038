import { createDeployer, memoryStateStore } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { minimalProvider } from './minimal-provider.js';

/** Any image reference: the process host records it but runs its built-in test program. */
const image = { ref: `example.test/app@sha256:${'a'.repeat(64)}` };

describeProviderConformance({
  name: 'minimalProvider',
  provider: () => minimalProvider(),
  spec: () => ({ name: 'x', image, health: { timeoutMs: 5_000 } }),
  failingHealthTimeoutMs: 3_000,
});

describe('minimalProvider without a secret store', () => {
  const provider = minimalProvider();
  const deployer = createDeployer({ provider, state: memoryStateStore() });
  afterAll(() => provider.close());

  it('is refused a generated secret before anything runs, with the field and a fix', async () => {
    const result = await deployer.up({ name: 'gen', image, secrets: { API_KEY: { generate: 'api-key' } } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('SPEC_INVALID');
    expect(result.error?.details?.issues).toEqual([
      expect.objectContaining({ path: 'secrets.API_KEY.generate', hint: expect.stringContaining('fromEnv') }),
    ]);
    expect(result.phases.map((phase) => phase.name)).toEqual(['validate']);
  });

  it('keeps one URL across revisions, and the new revision sees its secret', async () => {
    const spec = (marker: string) => ({
      name: 'url',
      image,
      env: { MARKER: marker },
      secrets: { TOKEN: { value: 'token-value-1' } },
    });
    const first = await deployer.up(spec('one'));
    const second = await deployer.up(spec('two'));
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    expect(second.revision).not.toBe(first.revision);
    expect(second.url).toBe(first.url);
    expect(await (await fetch(`${second.url}/env/MARKER`)).text()).toBe('two');
    expect(await (await fetch(`${second.url}/env/TOKEN`)).text()).toBe('token-value-1');
    expect(JSON.stringify(second)).not.toContain('token-value-1');
  });
});
