import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStateStore } from '../state/memory-state-store.js';
import { memoryImageBuilder } from '../testing/memory-image-builder.js';
import { memoryProvider } from '../testing/memory-provider.js';
import { createDeployer } from './create-deployer.js';
import type { BerthEvent } from './events.js';

const providers: ReturnType<typeof memoryProvider>[] = [];
afterEach(async () => {
  for (const provider of providers.splice(0)) await provider.close();
});

function setup(options: Parameters<typeof memoryProvider>[0] = {}) {
  const provider = memoryProvider(options);
  providers.push(provider);
  const state = memoryStateStore();
  const events: BerthEvent[] = [];
  const deployer = createDeployer({ provider, state, onEvent: (event) => events.push(event) });
  return { provider, state, events, deployer };
}

const spec = (env: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'app',
  image: { ref: 'registry.test/app@sha256:1111' },
  env,
  health: { timeoutMs: 3_000, intervalMs: 50, maxIntervalMs: 100 },
  ...extra,
});

describe('up', () => {
  it('deploys, times every phase, and emits numbered events an agent can read', async () => {
    const { deployer, events } = setup();
    const result = await deployer.up(spec());
    expect(result.status).toBe('succeeded');
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(result.phases.map((phase) => `${phase.name}:${phase.status}`)).toEqual([
      'validate:succeeded',
      'lock:succeeded',
      'preflight:succeeded',
      'image:succeeded',
      'plan:succeeded',
      'secrets:succeeded',
      'deploy:succeeded',
      'ready:skipped',
      'public-url:skipped',
      'verify:succeeded',
      'traffic:skipped',
      'record:succeeded',
    ]);
    for (const phase of result.phases) expect(phase.durationMs).toBeGreaterThanOrEqual(0);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_event, index) => index + 1));
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set(['phase-start', 'phase-end', 'plan-ready', 'health-check']),
    );
    expect(events.every((event) => event.service === 'app-dev' && event.runId === result.runId)).toBe(true);
  });

  it('lets exactly one of two concurrent runs on a service proceed; the other is told who holds the lock', async () => {
    const { deployer } = setup();
    const results = await Promise.all([deployer.up(spec()), deployer.up(spec())]);
    const statuses = results.map((result) => result.status).sort();
    expect(statuses).toEqual(['failed', 'succeeded']);
    const loser = results.find((result) => result.status === 'failed')!;
    expect(loser.error).toMatchObject({ code: 'LOCK_HELD', retryable: true });
    expect(loser.error?.message).toMatch(/locked by .+@.+ \(pid \d+, run [0-9a-f-]{36}/);
  });

  it('sets the public URL with a second update when the URL is only known after creation, and then stays noop', async () => {
    const { deployer } = setup();
    const withUrl = spec({}, { publicUrlEnv: 'PUBLIC_URL' });
    const result = await deployer.up(withUrl);
    expect(result.status).toBe('succeeded');
    expect(result.phases.find((phase) => phase.name === 'public-url')?.status).toBe('succeeded');
    const echoed = await fetch(new URL('/env/PUBLIC_URL', result.url)).then((response) => response.text());
    expect(echoed).toBe(result.url);
    expect((await deployer.up(withUrl)).status).toBe('noop');
  });

  it('keeps a generated secret stable across deploys', async () => {
    const { deployer, provider } = setup();
    const withKey = (marker: string) =>
      spec({ MARKER: marker }, { secrets: { API_KEY: { generate: 'api-key' } } });
    const first = await deployer.up(withKey('1'));
    const stored = provider.cloud.secrets.get('app-dev')?.get('API_KEY');
    expect(stored?.versions).toHaveLength(1);
    expect(stored?.versions[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await deployer.up(withKey('2'));
    expect(second.status).toBe('succeeded');
    expect(provider.cloud.secrets.get('app-dev')?.get('API_KEY')?.versions).toHaveLength(1);
    expect(second.secrets?.API_KEY).toBe(first.secrets?.API_KEY);
    expect(first.secrets?.API_KEY).toMatch(/^.{4}…\(43 chars\)$/);
  });

  it('skips the build when the context is unchanged and returns noop', async () => {
    const context = await mkdtemp(join(tmpdir(), 'berth-ctx-'));
    await writeFile(join(context, 'Dockerfile'), 'FROM scratch\n');
    await mkdir(join(context, 'src'));
    await writeFile(join(context, 'src', 'a.txt'), 'one');
    const provider = memoryProvider();
    providers.push(provider);
    const imageBuilder = memoryImageBuilder();
    const deployer = createDeployer({ provider, state: memoryStateStore(), imageBuilder });
    const built = { ...spec(), image: { build: { context } } };
    expect((await deployer.up(built)).status).toBe('succeeded');
    expect((await deployer.up(built)).status).toBe('noop');
    expect(imageBuilder.builds).toBe(1);
    await writeFile(join(context, 'src', 'a.txt'), 'two');
    const plan = await deployer.plan(built);
    expect(plan.changes.map((change) => change.path)).toEqual(['image']);
    expect(imageBuilder.builds).toBe(1);
    expect((await deployer.up(built)).status).toBe('succeeded');
    expect(imageBuilder.builds).toBe(2);
  });

  it('plans a service never deployed the same way twice, byte for byte', async () => {
    const { deployer } = setup();
    const withSecret = spec({}, { secrets: { TOKEN: { value: 'a-token-value-123456' } } });
    expect(JSON.stringify(await deployer.plan(withSecret))).toBe(
      JSON.stringify(await deployer.plan(withSecret)),
    );
  });

  it('refuses secret values too short to redact, and masks short ones without showing characters', async () => {
    const { deployer } = setup();
    const tooShort = await deployer.up(spec({}, { secrets: { PIN: { value: 'abc1' } } }));
    expect(tooShort.error?.code).toBe('SECRET_SOURCE_MISSING');
    expect(tooShort.error?.details?.issues).toEqual([expect.objectContaining({ path: 'secrets.PIN' })]);
    expect(JSON.stringify(tooShort)).not.toContain('abc1');
    const secrets = { PIN: { value: 'abcd1234' }, LONG: { value: 'long-secret-value-0123' } };
    const result = await deployer.up(spec({}, { secrets }));
    expect(result.secrets).toEqual({ PIN: '******(8 chars)', LONG: 'long…(22 chars)' });
  });

  it('refuses a build spec without an image builder, before anything runs', async () => {
    const { deployer, provider } = setup();
    const result = await deployer.up({ ...spec(), image: { build: { context: '.' } } });
    expect(result.error).toMatchObject({
      code: 'IMAGE_BUILDER_MISSING',
      hint: expect.stringContaining('@berth/docker'),
    });
    expect(provider.cloud.calls).toEqual([]);
    const status = await deployer.status({ ...spec(), image: { build: { context: '.' } } });
    expect(status.exists).toBe(false);
    expect((await deployer.down({ ...spec(), image: { build: { context: '.' } } })).status).toBe('noop');
  });

  it('down can forget the state, and close releases the provider', async () => {
    const { deployer, state, provider } = setup();
    await deployer.up(spec());
    expect((await deployer.down(spec(), { forgetState: true })).status).toBe('destroyed');
    expect(await state.read('app-dev')).toBeUndefined();
    await deployer.up(spec());
    await deployer.close();
    expect(provider.cloud.services.size).toBe(0);
  });

  it('rejects bad input with the field and a fix, touching nothing', async () => {
    const { deployer, provider, state } = setup();
    const result = await deployer.up({
      name: 'App!',
      image: { ref: 'x' },
      secrets: { K: { fromEnv: 'BERTH_TEST_UNSET_VAR' } },
    });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('SPEC_INVALID');
    expect(result.error?.details?.issues).toContainEqual(expect.objectContaining({ path: 'name' }));
    expect(provider.cloud.calls).toEqual([]);
    expect(state.snapshot()).toEqual({});
    const missingEnv = await deployer.up(spec({}, { secrets: { K: { fromEnv: 'BERTH_TEST_UNSET_VAR' } } }));
    expect(missingEnv.error?.code).toBe('SECRET_SOURCE_MISSING');
    expect(missingEnv.error?.details?.issues).toEqual([
      expect.objectContaining({
        path: 'secrets.K.fromEnv',
        hint: expect.stringContaining('BERTH_TEST_UNSET_VAR'),
      }),
    ]);
    expect(provider.cloud.calls.filter((call) => call.method === 'apply')).toEqual([]);
  });
});

describe('health checks reach the service through', () => {
  function countingFetch() {
    const urls: string[] = [];
    const fetcher: typeof globalThis.fetch = (input, init) => {
      urls.push(String(input instanceof Request ? input.url : input));
      return globalThis.fetch(input, init);
    };
    return { urls, fetcher };
  }

  it("the provider's fetch when it has one (e.g. an SSH tunnel)", async () => {
    const inner = memoryProvider();
    providers.push(inner);
    const through = countingFetch();
    const deployer = createDeployer({
      provider: { ...inner, fetch: through.fetcher },
      state: memoryStateStore(),
    });
    const result = await deployer.up(spec());
    expect(result.status).toBe('succeeded');
    expect(through.urls).toContain(`${result.url}/.well-known/health`);
  });

  it("the deployer's fetch over the provider's", async () => {
    const inner = memoryProvider();
    providers.push(inner);
    const provider = countingFetch();
    const deployer = countingFetch();
    const result = await createDeployer({
      provider: { ...inner, fetch: provider.fetcher },
      state: memoryStateStore(),
      fetch: deployer.fetcher,
    }).up(spec());
    expect(result.status).toBe('succeeded');
    expect(deployer.urls.length).toBeGreaterThan(0);
    expect(provider.urls).toEqual([]);
  });
});
