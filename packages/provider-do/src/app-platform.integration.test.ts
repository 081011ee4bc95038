import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BerthEvent, createDeployer, memoryStateStore } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { createTestContext } from '@berth/core/testing';
import { dockerImageBuilder } from '@berth/docker';
import type { DoEmulator } from '@berth/emulator-do';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppPlatformOptions } from './app-platform-options.js';
import { appPlatform } from './app-platform-provider.js';
import { createDoApi, type DoApi } from './do-api.js';
import { registryDocuments } from './registry-documents.js';
import { doTestEnvironment, emulatorOptions, startTestEmulator } from './test-support/do-test-kit.js';

// appPlatform() through dots-wrapper against the DigitalOcean emulator, whose deployments run as
// real containers pulled from the local registry. Fails (never skips) without the test environment.
const environment = doTestEnvironment();
const { registry } = environment;
const fixture = fileURLToPath(new URL('../../../test-support/fixtures/health-service', import.meta.url));
type TestEmulator = DoEmulator & { registryName: string };

const providerFor = (emulator: TestEmulator, extra: Partial<AppPlatformOptions> = {}) =>
  appPlatform({ ...emulatorOptions(emulator, registry.host), ...extra } as AppPlatformOptions);

const conformanceEmulators: TestEmulator[] = [];
afterAll(async () => {
  for (const emulator of conformanceEmulators) await emulator.close();
}, 120_000);
async function conformanceEmulator(): Promise<TestEmulator> {
  conformanceEmulators[0] ??= await startTestEmulator(registry);
  return conformanceEmulators[0];
}

describeProviderConformance({
  name: 'do-app-platform (emulator, Docker deployments)',
  provider: async () => providerFor(await conformanceEmulator()),
  optionChange: {
    provider: async () => providerFor(await conformanceEmulator(), { region: 'ams' }),
    path: 'provider.region',
  },
  imageBuilder: () => dockerImageBuilder({ git: false }),
  spec: () => ({ name: 'unused', image: { build: { context: fixture } }, port: 8000 }),
  // App Platform health-checks each deployment before it serves, and keeps the previous one otherwise.
  platformHealthChecks: true,
  timeoutMs: 180_000,
});

describe('do-app-platform against the emulator', () => {
  let emulator: TestEmulator;
  let provider: ReturnType<typeof appPlatform>;
  const state = memoryStateStore();
  const events: BerthEvent[] = [];
  const name = `do${Date.now().toString(36)}`;
  const service = `${name}-dev`;
  const literal = `literal-${Date.now().toString(36)}-value`;
  const deployer = () =>
    createDeployer({
      provider,
      state,
      imageBuilder: dockerImageBuilder({ git: false }),
      onEvent: (event) => events.push(event),
    });
  const spec = (env: Record<string, string> = {}) => ({
    name,
    image: { build: { context: fixture } },
    port: 8000,
    env: { GREETING: 'hello', ...env },
    secrets: {
      SUPERVAIZER_API_KEY: { generate: 'api-key' as const },
      LITERAL_SECRET: { value: literal },
    },
    publicUrlEnv: 'PUBLIC_URL',
    health: { intervalMs: 1_000, timeoutMs: 20_000 },
  });
  const target = { service, name, environment: 'dev' };
  const text = async (url: string) => (await fetch(url)).text();
  const writes = (from: number) =>
    emulator.calls
      .slice(from)
      .filter((call) => !call.operation.startsWith('GET '))
      .map((call) => call.operation);
  const context = () => createTestContext();

  beforeAll(async () => {
    // Early phases held a little, so that following them is observable.
    emulator = await startTestEmulator(registry, { phaseLatencyMs: 300 });
    provider = providerFor(emulator);
  }, 60_000);
  afterAll(async () => {
    await emulator?.close();
  }, 120_000);

  let url: string | undefined;
  let firstRevision: string | undefined;

  it('first deploy creates the app, follows its phases and sets the public URL with a second update', async () => {
    const result = await deployer().up(spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    url = result.url;
    firstRevision = result.revision;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await text(`${url}/env/PUBLIC_URL`)).toBe(url);
    expect(await text(`${url}/env/GREETING`)).toBe('hello');
    expect(await text(`${url}/env/LITERAL_SECRET`)).toBe(literal);
    const creates = emulator.calls.filter((call) => call.operation === 'POST /v2/apps');
    expect(creates).toHaveLength(1);
    const progress = events.flatMap((event) =>
      event.type === 'progress' && event.step === 'deployment' ? [event] : [],
    );
    const phases = progress.map((event) => event.message?.split(':')[0]);
    expect(phases).toEqual(expect.arrayContaining(['BUILDING', 'PENDING_DEPLOY', 'ACTIVE']));
    expect(progress.at(-1)).toMatchObject({ unit: 'steps', current: 6, total: 6 });
    // Deployed by digest from DOCR, and secrets held encrypted by App Platform.
    const observed = await provider.observe(context(), target);
    expect(observed?.image?.digest).toMatch(/^sha256:/);
    expect(observed?.secrets.LITERAL_SECRET?.fingerprint).toMatch(/^hmac-sha256:/);
  });

  it('the same spec again is noop: no write call, no permanent diff from the encrypted secrets', async () => {
    const from = emulator.calls.length;
    const plan = await deployer().plan(spec());
    expect(plan.action).toBe('noop');
    const result = await deployer().up(spec());
    expect(result.status).toBe('noop');
    expect(writes(from)).toEqual([]);
  });

  it('an env change deploys a new revision with the new value and keeps the secrets', async () => {
    const result = await deployer().up(spec({ GREETING: 'bonjour' }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.revision).not.toBe(firstRevision);
    expect(await text(`${url}/env/GREETING`)).toBe('bonjour');
    expect(await text(`${url}/env/LITERAL_SECRET`)).toBe(literal);
  });

  it('a deployment failing App Platform health checks leaves the old one serving; Berth reports rolled-back', async () => {
    const before = await provider.observe(context(), target);
    const from = emulator.calls.length;
    const result = await deployer().up(spec({ GREETING: 'bonjour', BERTH_TEST_FAIL_HEALTH: '1' }));
    expect(result.status).toBe('rolled-back');
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(result.rollback).toMatchObject({ status: 'succeeded', by: 'platform' });
    expect(result.revision).toBe(before?.revision);
    expect((await fetch(`${url}/.well-known/health`)).status).toBe(200);
    expect(await text(`${url}/env/GREETING`)).toBe('bonjour');
    // The platform kept the old deployment: Berth did not roll back again.
    expect(writes(from).filter((operation) => operation.includes('rollback'))).toEqual([]);
  });

  it('rollback to the first revision uses the rollback API: validate, pinned rollback, verify, commit', async () => {
    const from = emulator.calls.length;
    const result = await deployer().rollback(spec(), { to: firstRevision });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(result.revision).toBe(firstRevision);
    expect(await text(`${url}/env/GREETING`)).toBe('hello');
    const operations = writes(from);
    expect(operations).toEqual(
      expect.arrayContaining([
        'POST /v2/apps/{app_id}/rollback/validate',
        'POST /v2/apps/{app_id}/rollback',
        'POST /v2/apps/{app_id}/rollback/commit',
      ]),
    );
    expect(operations).not.toContain('PUT /v2/apps/{id}');
    const observed = await provider.observe(context(), target);
    expect(observed?.revision).toBe(firstRevision);
  });

  it('a throttled call (429 with retry-after) is retried and the run succeeds', async () => {
    emulator.faults.throttle('PUT /v2/apps/{id}', 1, 1);
    const result = await deployer().up(spec({ GREETING: 'hola' }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    const statuses = emulator.calls
      .filter((call) => call.operation === 'PUT /v2/apps/{id}')
      .map((call) => call.status);
    expect(statuses).toContain(429);
    expect(await text(`${url}/env/GREETING`)).toBe('hola');
  });

  it('a new image is deployed by its new digest', async () => {
    const before = await provider.observe(context(), target);
    const changed = await mkdtemp(join(tmpdir(), 'berth-do-image-'));
    try {
      await cp(fixture, changed, { recursive: true });
      await writeFile(join(changed, 'www', 'build-marker.txt'), `${Date.now()}`);
      const result = await deployer().up({
        ...spec({ GREETING: 'hola' }),
        image: { build: { context: changed } },
      });
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('succeeded');
      const after = await provider.observe(context(), target);
      expect(after?.image?.digest).toMatch(/^sha256:/);
      expect(after?.image?.digest).not.toBe(before?.image?.digest);
      expect(after?.image?.ref).toBe(
        `${registry.host}/${emulator.registryName}/${service}@${after?.image?.digest}`,
      );
      expect(await text(`${url}/env/GREETING`)).toBe('hola');
    } finally {
      await rm(changed, { recursive: true, force: true });
    }
  });

  it('no secret value appears in events, results, errors, state or history', async () => {
    const generated = await provider.secrets?.read?.(context(), target, 'SUPERVAIZER_API_KEY');
    expect(generated).toBeTruthy();
    const history = await deployer().history(spec());
    const recorded = JSON.stringify({ events, history, state: await state.read(service) });
    expect(recorded).not.toContain(literal);
    expect(recorded).not.toContain(generated);
    expect(recorded).not.toContain(emulator.token);
    // What Berth keeps with the target, in the registry: the ledger, and generated values encrypted.
    const documents = registryDocuments({ host: registry.host, credentials: async () => registry });
    const kept = JSON.stringify({
      ledger: await documents.read(context(), `${emulator.registryName}/${service}`, 'berth-ledger'),
      vault: await documents.read(context(), `${emulator.registryName}/${service}`, 'berth-secrets'),
    });
    expect(kept).toContain('SUPERVAIZER_API_KEY');
    expect(kept).not.toContain(literal);
    expect(kept).not.toContain(generated);
    // App Platform holds the literal one encrypted: the API never answers its plaintext.
    const { data } = await (
      await createDoApi({ token: emulator.token, endpoint: emulator.endpoint, requestTimeoutMs: 30_000 })
    ).client.app.listApps({ page: 1, per_page: 100 });
    expect(JSON.stringify(data)).not.toContain(literal);
    expect(JSON.stringify(data)).toContain('EV[');
  });

  it('down deletes the app and nothing else', async () => {
    const api = await createDoApi({
      token: emulator.token,
      endpoint: emulator.endpoint,
      requestTimeoutMs: 30_000,
    });
    const live = await provider.observe(context(), target);
    const { data: mine } = await api.client.app.getApp({ app_id: String(live?.data?.appId) });
    // Another app of the account, not Berth's service.
    const { data: bystander } = await api.client.app.createApp({
      spec: { ...mine.app.spec, name: `${name}-other` } as never,
    });
    const appsBefore = emulator.calls.length;
    const result = await deployer().down(spec());
    expect(result.status).toBe('destroyed');
    expect(await provider.observe(context(), target)).toBeUndefined();
    const deletes = writes(appsBefore).filter((operation) => operation.startsWith('DELETE'));
    expect(deletes).toEqual(['DELETE /v2/apps/{id}']);
    expect((await api.client.app.getApp({ app_id: bystander.app.id })).data.app.spec.name).toBe(
      `${name}-other`,
    );
    // The image stays in the registry (`down` deletes images only when asked, and then says it keeps them).
    const digest = live?.image?.digest;
    const manifest = await fetch(
      `http://${registry.host}/v2/${emulator.registryName}/${service}/manifests/${digest}`,
      {
        method: 'HEAD',
        headers: {
          authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`,
          accept:
            'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json',
        },
      },
    );
    expect(manifest.status).toBe(200);
    await api.client.app.deleteApp({ app_id: bystander.app.id });
  });
});

describe('do-app-platform: calls retried after a lost answer', () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator(registry);
  }, 60_000);
  afterAll(async () => {
    await emulator?.close();
  }, 120_000);

  it('adopts the app a lost create made (409 on the retry), and follows the deployment of a lost rollback', async () => {
    const real = await createDoApi({
      token: emulator.token,
      endpoint: emulator.endpoint,
      requestTimeoutMs: 30_000,
    });
    // The next call of `lose` reaches DigitalOcean, and its answer is lost (a client timeout).
    let lose: 'createApp' | 'rollback' | undefined = 'createApp';
    const lost = async <T>(call: 'createApp' | 'rollback', answer: Promise<T>): Promise<T> => {
      const value = await answer;
      if (lose !== call) return value;
      lose = undefined;
      throw Object.assign(new Error('timeout of 30000ms exceeded'), {
        isAxiosError: true,
        code: 'ECONNABORTED',
      });
    };
    const api: DoApi = {
      client: {
        ...real.client,
        app: {
          ...real.client.app,
          createApp: (request) => lost('createApp', real.client.app.createApp(request)),
        },
      },
      raw: {
        ...real.raw,
        rollback: (appId, deploymentId, skipPin) =>
          lost('rollback', real.raw.rollback(appId, deploymentId, skipPin)),
      },
    };
    const provider = providerFor(emulator, { api });
    const name = `adopt${Date.now().toString(36)}`;
    const deployer = createDeployer({
      provider,
      state: memoryStateStore(),
      imageBuilder: dockerImageBuilder({ git: false }),
    });
    const spec = { name, image: { build: { context: fixture } }, port: 8000, env: { GREETING: 'adopted' } };
    const result = await deployer.up(spec);
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(await (await fetch(`${result.url}/env/GREETING`)).text()).toBe('adopted');
    const creates = emulator.calls
      .filter((call) => call.operation === 'POST /v2/apps')
      .map((call) => call.status);
    expect(creates).toEqual([200, 409]);
    // The adopted app's own deployment was followed: no second deployment of the same spec.
    expect(emulator.calls.filter((call) => call.operation === 'PUT /v2/apps/{id}')).toEqual([]);
    const { data } = await real.client.app.listApps({ page: 1, per_page: 100 });
    expect(data.apps.filter((app) => app.spec.name === `${name}-dev`)).toHaveLength(1);

    // A rollback whose answer is lost: the retry is refused (the app is pinned), and Berth follows
    // the rollback deployment the first attempt started, then commits it.
    const updated = await deployer.up({ ...spec, env: { GREETING: 'changed' } });
    expect(updated.status).toBe('succeeded');
    lose = 'rollback';
    const rolledBack = await deployer.rollback(spec, { to: result.revision });
    expect(rolledBack.error).toBeUndefined();
    expect(rolledBack.status).toBe('succeeded');
    expect(await (await fetch(`${result.url}/env/GREETING`)).text()).toBe('adopted');
    const rollbacks = emulator.calls.filter((call) => call.operation === 'POST /v2/apps/{app_id}/rollback');
    expect(rollbacks.map((call) => call.status)).toEqual([200, 400]);
    const operations = emulator.calls.map((call) => call.operation);
    expect(operations).toContain('POST /v2/apps/{app_id}/rollback/commit');
    expect(operations).not.toContain('POST /v2/apps/{app_id}/rollback/revert');
  });
});
