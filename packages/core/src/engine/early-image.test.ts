import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../errors/index.js';
import type { ImageBuilder } from '../ports/image-builder.js';
import { memoryStateStore } from '../state/memory-state-store.js';
import { memoryImageBuilder } from '../testing/memory-image-builder.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';

// The image is looked up (read-only, `inspect`) while the preflight checks run, and built (or found
// skipped by `build`) after them; a failed preflight still changes and builds nothing.

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

/** The memory builder, counting its calls (and noting them in `order`); `failInspect` makes every inspect throw. */
function countingBuilder(failInspect = false, order: string[] = []) {
  const inner = memoryImageBuilder();
  const calls = { inspect: 0, build: 0 };
  const builder: ImageBuilder = {
    async inspect(request, context) {
      calls.inspect += 1;
      order.push('inspect');
      if (failInspect) throw new BerthError('IMAGE_BUILD_FAILED', 'inspect failed');
      return inner.inspect(request, context);
    },
    async build(request, context) {
      calls.build += 1;
      order.push('build');
      return inner.build(request, context);
    },
  };
  return { builder, calls };
}

let context: string;
beforeAll(async () => {
  context = await mkdtemp(join(tmpdir(), 'berth-early-image-'));
  await writeFile(join(context, 'Dockerfile'), 'FROM scratch\n');
});
afterAll(() => rm(context, { recursive: true, force: true }));
const spec = () => ({
  name: 'app',
  image: { build: { context } },
  health: { timeoutMs: 2_000, intervalMs: 20 },
});

describe('the image looked up during preflight', () => {
  it('looks the image up before the preflight checks end, and builds only after them', async () => {
    const base = memoryProvider();
    providers.push(base);
    const order: string[] = [];
    const provider = {
      ...base,
      preflight: async (...args: Parameters<NonNullable<typeof base.preflight>>) => {
        order.push('preflight');
        return (await base.preflight?.(...args)) ?? [];
      },
    };
    const { builder, calls } = countingBuilder(false, order);
    const deployer = createDeployer({ provider, state: memoryStateStore(), imageBuilder: builder });
    const first = await deployer.up(spec());
    expect(first.status).toBe('succeeded');
    expect(order).toEqual(['inspect', 'preflight', 'build']);
    const again = await deployer.up(spec());
    expect(again.status).toBe('noop');
    expect(again.image).toMatchObject({ ref: first.image?.ref, digest: first.image?.digest, skipped: true });
    expect(calls).toEqual({ inspect: 2, build: 2 });
  });

  it('reports a failed preflight, not the lookup, and builds nothing', async () => {
    const provider = memoryProvider();
    providers.push(provider);
    const refusing = {
      ...provider,
      preflight: async () => [{ name: 'credentials', ok: false, message: 'no access', hint: 'Log in.' }],
    };
    const { builder, calls } = countingBuilder(true);
    const deployer = createDeployer({ provider: refusing, state: memoryStateStore(), imageBuilder: builder });
    const result = await deployer.up(spec());
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('PREFLIGHT_FAILED');
    expect(calls.build).toBe(0);
  });

  it('builds as usual when the lookup failed', async () => {
    const provider = memoryProvider();
    providers.push(provider);
    const { builder, calls } = countingBuilder(true);
    const result = await createDeployer({ provider, state: memoryStateStore(), imageBuilder: builder }).up(
      spec(),
    );
    expect(result.status).toBe('succeeded');
    expect(calls).toEqual({ inspect: 1, build: 1 });
  });
});
