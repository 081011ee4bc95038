import { afterEach, describe, expect, it } from 'vitest';
import { ImageError } from '../errors/index.js';
import type { ImageBuilder } from '../ports/image-builder.js';
import { memoryStateStore } from '../state/memory-state-store.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';

// A builder on the provider's own engine returns once the image is built and tagged, with the push
// left to the run (`BuiltImage.push`): the engine starts the revision, then pushes while it verifies it.

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

const digestOf = (build: number) => `sha256:${String(build).repeat(64).slice(0, 64)}`;

/** Each build returns the tag `registry.test/app:fp-<n>` and a push that `push(n)` settles. */
function overlappingBuilder(
  push: (build: number) => Promise<void>,
  order: string[],
): ImageBuilder & { settled: number[] } {
  let builds = 0;
  const settled: number[] = [];
  return {
    settled,
    async inspect() {
      return { fingerprint: `sha256:f${builds}` };
    },
    async build() {
      builds += 1;
      const build = builds;
      const pushed = () => {
        order.push(`push ${build}`);
        return push(build).then(
          () => {
            settled.push(build);
            return { ref: `registry.test/app@${digestOf(build)}`, digest: digestOf(build) };
          },
          (error: unknown) => {
            settled.push(build);
            throw error;
          },
        );
      };
      return {
        ref: `registry.test/app:fp-${build}`,
        digest: `sha256:local${build}`,
        tags: [`fp-${build}`],
        fingerprint: `sha256:f${build}`,
        skipped: false,
        push: pushed,
      };
    },
  };
}

function setup(push: (build: number) => Promise<void>) {
  const applied: string[] = [];
  const order: string[] = [];
  const provider = memoryProvider({
    behaviour: (desired) => {
      applied.push(desired.image.ref);
      order.push(`apply ${desired.image.ref}`);
      return {};
    },
  });
  providers.push(provider);
  const state = memoryStateStore();
  const imageBuilder = overlappingBuilder(push, order);
  const deployer = createDeployer({ provider, state, imageBuilder });
  return { provider, state, deployer, applied, order, imageBuilder };
}

const spec = (env: Record<string, string> = {}, timeoutMs = 2_000) => ({
  name: 'app',
  image: { build: { context: '.' } },
  env,
  health: { timeoutMs, intervalMs: 20, maxIntervalMs: 50 },
});
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('a revision started before its push ends', () => {
  it('runs from the tag, then records the pushed digest in the result, state, history and ledger', async () => {
    const { deployer, state, provider, applied, order } = setup(() => sleep(30));
    const result = await deployer.up(spec());
    expect(result.status).toBe('succeeded');
    expect(applied).toEqual(['registry.test/app:fp-1']);
    // The push starts once the revision is started: it never slows the container's start.
    expect(order).toEqual(['apply registry.test/app:fp-1', 'push 1']);
    const pushed = { ref: `registry.test/app@${digestOf(1)}`, digest: digestOf(1) };
    expect(result.image).toMatchObject(pushed);
    const stored = await state.read('app-dev');
    expect(stored?.current?.image).toEqual(pushed);
    expect(stored?.history.at(-1)?.image).toEqual(pushed);
    const ledger = provider.cloud.ledgers.get('app-dev');
    expect(
      ledger?.revisions.find((entry) => entry.revision === result.revision)?.record.desired.image,
    ).toEqual(pushed);
  });

  it('fails the run when the push fails, and restores the last verified revision', async () => {
    const { deployer, state } = setup(async (build) => {
      if (build === 2)
        throw new ImageError('IMAGE_PUSH_FAILED', 'The registry refused the fingerprint tag', {
          retryable: true,
        });
    });
    const good = await deployer.up(spec());
    const bad = await deployer.up(spec({ CHANGED: '1' }));
    expect(bad.status).toBe('rolled-back');
    expect(bad.error?.code).toBe('IMAGE_PUSH_FAILED');
    expect(bad.revision).toBe(good.revision);
    const stored = await state.read('app-dev');
    expect(stored?.current?.revision).toBe(good.revision);
    expect(stored?.current?.image).toEqual({ ref: `registry.test/app@${digestOf(1)}`, digest: digestOf(1) });
    expect(stored?.history.at(-1)).toMatchObject({
      status: 'rolled-back',
      error: { code: 'IMAGE_PUSH_FAILED' },
    });
  });

  it('never pushes for a revision that did not start', async () => {
    const { deployer, provider, order } = setup(() => sleep(10));
    provider.cloud.faults.push({ method: 'apply', nth: 1 });
    const result = await deployer.up(spec());
    expect(result.status).toBe('failed');
    expect(order).toEqual([]);
  });

  it('waits for the push to end before a failed run returns', async () => {
    const { deployer, imageBuilder } = setup(() => sleep(600));
    const result = await deployer.up(spec({ BERTH_TEST_FAIL_HEALTH: '1' }, 150));
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(imageBuilder.settled).toEqual([1]);
  });
});
