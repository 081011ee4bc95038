import { fileURLToPath } from 'node:url';
import { createDeployer, memoryStateStore } from '@berth/core';
import { describeProviderConformance } from '@berth/core/conformance';
import { createTestContext } from '@berth/core/testing';
import { dockerImageBuilder } from '@berth/docker';
import { type GcpEmulator, startGcpEmulator, staticTokenAuthClient } from '@berth/emulator-gcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import { cloudRun } from './cloud-run-provider.js';

// The provider through the official SDK clients against the emulator, whose revisions run as real
// containers pulled from the local registry. Fails (never skips) without the test environment.
const environment = requireTestEnvironment(['docker', 'registry', 'images']);
const registry = environment.registry;
const fixture = fileURLToPath(new URL('../../../test-support/fixtures/health-service', import.meta.url));
const project = 'berth-it';
const region = 'europe-west1';

async function startEmulator(): Promise<GcpEmulator> {
  return startGcpEmulator({
    registryAuth: { [registry.host]: { username: registry.username, password: registry.password } },
    startupTimeoutMs: 30_000,
  });
}

function providerFor(emulator: GcpEmulator, extra: { serviceAccount?: string; minInstances?: number } = {}) {
  return cloudRun({
    ...extra,
    project,
    region,
    endpoint: { apiEndpoint: '127.0.0.1', port: emulator.port, protocol: 'http' },
    authClient: staticTokenAuthClient(),
    registry: {
      host: registry.host,
      credentials: { username: registry.username, password: registry.password },
    },
    retry: { attempts: 4, baseDelayMs: 50 },
  });
}

const conformanceEmulators: GcpEmulator[] = [];
afterAll(async () => {
  for (const emulator of conformanceEmulators) await emulator.close();
});

describeProviderConformance({
  name: 'gcp-cloud-run (emulator, Docker revisions)',
  provider: async () => {
    const emulator = await startEmulator();
    conformanceEmulators.push(emulator);
    return providerFor(emulator);
  },
  imageBuilder: () => dockerImageBuilder({ git: false }),
  spec: () => ({ name: 'unused', image: { build: { context: fixture } }, port: 8000 }),
  timeoutMs: 180_000,
});

describe('gcp-cloud-run against the emulator', () => {
  let emulator: GcpEmulator;
  let provider: ReturnType<typeof cloudRun>;
  const state = memoryStateStore();
  const name = `it${Date.now().toString(36)}`;
  const service = `${name}-dev`;
  const deployer = () =>
    createDeployer({ provider, state, imageBuilder: dockerImageBuilder({ git: false }) });
  const spec = (env: Record<string, string> = {}) => ({
    name,
    image: { build: { context: fixture } },
    port: 8000,
    env: { GREETING: 'hello', ...env },
    secrets: { SUPERVAIZER_API_KEY: { generate: 'api-key' as const } },
    publicUrlEnv: 'PUBLIC_URL',
    health: { intervalMs: 250, timeoutMs: 8_000 },
  });
  const context = () => createTestContext();
  const target = { service, name, environment: 'dev' };
  const text = async (url: string) => (await fetch(url)).text();

  beforeAll(async () => {
    emulator = await startEmulator();
    provider = providerFor(emulator);
  }, 60_000);
  afterAll(async () => {
    await provider?.close?.();
    await emulator?.close();
  }, 60_000);

  let firstRevision: string | undefined;
  let url: string | undefined;
  let imageRef: string | undefined;

  it('first deploy creates the repository, the secrets and the service, and sets the public URL', async () => {
    const result = await deployer().up(spec());
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    url = result.url;
    firstRevision = result.revision;
    imageRef = result.image?.ref;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(imageRef).toContain(`${registry.host}/${project}/berth/${service}@sha256:`);
    const methods = emulator.calls
      .filter((call) => call.status === 'OK')
      .map((call) => call.method.split('.').pop());
    expect(methods).toContain('CreateRepository');
    expect(methods).toContain('CreateSecret');
    expect(methods).toContain('CreateService');
    expect(await text(`${url}/env/PUBLIC_URL`)).toBe(url);
    expect(await text(`${url}/env/GREETING`)).toBe('hello');
    const owned = await provider.secrets?.list(context(), target);
    expect(owned?.map((secret) => secret.key)).toEqual(['SUPERVAIZER_API_KEY']);
    const key = await provider.secrets?.read?.(context(), target, 'SUPERVAIZER_API_KEY');
    const agents = await fetch(`${url}/agents/health`, { headers: { 'x-api-key': key ?? '' } });
    expect(agents.status).toBe(200);
  });

  it('re-running the same spec is a noop', async () => {
    const before = emulator.calls.length;
    const result = await deployer().up(spec());
    expect(result.status).toBe('noop');
    const writes = emulator.calls
      .slice(before)
      .filter((call) => /Create|Update|Delete|Add|SetIamPolicy/.test(call.method))
      .map((call) => call.method.split('.').pop());
    // Only the run's lock, kept with the target in Secret Manager: taken, then released.
    expect(writes).toEqual(['CreateSecret', 'DeleteSecret']);
  });

  it('an env change makes a new revision, served at the same URL', async () => {
    const result = await deployer().up(spec({ GREETING: 'bonjour' }));
    expect(result.status).toBe('succeeded');
    expect(result.revision).not.toBe(firstRevision);
    expect(result.url).toBe(url);
    expect(await text(`${url}/env/GREETING`)).toBe('bonjour');
    const revisions = (await provider.listRevisions?.(context(), target)) ?? [];
    expect(revisions.find((revision) => revision.revision === result.revision)?.traffic).toBe(100);
  });

  it('a revision failing its health check never receives traffic; the previous one keeps serving', async () => {
    const served: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        served.push(await text(`${url}/env/GREETING`).catch(() => 'error'));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const result = await deployer().up(spec({ GREETING: 'broken', BERTH_TEST_FAIL_HEALTH: '1' }));
    polling = false;
    await poller;
    expect(result.status).toBe('rolled-back');
    expect(result.error?.code).toBe('HEALTH_CHECK_FAILED');
    expect(served.length).toBeGreaterThan(3);
    expect(served.every((body) => body === 'bonjour')).toBe(true);
    const revisions = (await provider.listRevisions?.(context(), target)) ?? [];
    const failed = revisions.find(
      (revision) => revision.revision !== result.revision && revision.traffic === 0,
    );
    expect(failed).toBeDefined();
  });

  it('a revision whose container crashes fails the deploy and the previous one keeps serving', async () => {
    emulator.faults.failRevisions({ service, mode: 'crash', times: 1 });
    const result = await deployer().up(spec({ GREETING: 'crashing' }));
    expect(result.status).toBe('rolled-back');
    expect(result.error?.message).toMatch(/is not ready and cannot serve traffic/);
    expect(await text(`${url}/env/GREETING`)).toBe('bonjour');
  });

  it('a manual rollback moves traffic back to the first revision', async () => {
    const result = await deployer().rollback(spec(), { to: firstRevision! });
    expect(result.status).toBe('succeeded');
    expect(await text(`${url}/env/GREETING`)).toBe('hello');
    expect((await provider.observe(context(), target))?.revision).toBe(firstRevision);
  });

  it('transient 503 and 429 answers from the API are retried', async () => {
    emulator.faults.failNext({ method: 'UpdateService', code: 'UNAVAILABLE', times: 2 });
    emulator.faults.failNext({ method: 'GetIamPolicy', code: 'RESOURCE_EXHAUSTED', times: 1 });
    const before = emulator.calls.length;
    const result = await deployer().up(spec({ GREETING: 'retried' }));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('succeeded');
    expect(await text(`${url}/env/GREETING`)).toBe('retried');
    const failures = emulator.calls
      .slice(before)
      .filter((call) => call.httpStatus === 503 || call.httpStatus === 429);
    expect(failures.map((call) => call.httpStatus).sort()).toEqual([429, 503, 503]);
    expect(emulator.faults.pendingCalls).toBe(0);
  });

  it('down removes the service and the owned secrets and keeps the images', async () => {
    const result = await deployer().down(spec());
    expect(result.status).toBe('destroyed');
    expect(await provider.observe(context(), target)).toBeUndefined();
    expect(await provider.secrets?.list(context(), target)).toEqual([]);
    expect((await fetch(`${url}/`).catch(() => undefined))?.status ?? 'closed').not.toBe(200);
    const [repository, digest] = (imageRef ?? '').replace(`${registry.host}/`, '').split('@');
    const manifest = await fetch(`http://${registry.host}/v2/${repository}/manifests/${digest}`, {
      method: 'HEAD',
      headers: {
        authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`,
        accept:
          'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json',
      },
    });
    expect(manifest.status).toBe(200);
  });
});

describe('the target is the truth on Cloud Run (issue 11, measured cases)', () => {
  let emulator: GcpEmulator;
  const name = `tt${Date.now().toString(36)}`;
  const spec = (env: Record<string, string> = {}) => ({
    name,
    image: { build: { context: fixture } },
    port: 8000,
    env: { GREETING: 'hello', ...env },
    secrets: { SUPERVAIZER_API_KEY: { generate: 'api-key' as const } },
    health: { intervalMs: 250, timeoutMs: 8_000 },
  });
  const deployer = (provider = providerFor(emulator)) =>
    createDeployer({ provider, state: memoryStateStore(), imageBuilder: dockerImageBuilder({ git: false }) });

  beforeAll(async () => {
    emulator = await startEmulator();
  }, 60_000);
  afterAll(async () => {
    await deployer()
      .down(spec())
      .catch(() => {});
    await emulator?.close();
  }, 60_000);

  it('an unchanged spec from a fresh state store is a noop plan and a noop up, with the same generated key', async () => {
    const first = await deployer().up(spec());
    expect(first.status).toBe('succeeded');
    const provider = providerFor(emulator);
    const key = await provider.secrets?.read?.(
      createTestContext(),
      { service: `${name}-dev`, name, environment: 'dev' },
      'SUPERVAIZER_API_KEY',
    );
    const plan = await deployer().plan(spec());
    expect(plan.action).toBe('noop');
    expect(plan.changes).toEqual([]);
    const again = await deployer().up(spec());
    expect(again.status).toBe('noop');
    expect(again.revision).toBe(first.revision);
    expect(
      await provider.secrets?.read?.(
        createTestContext(),
        { service: `${name}-dev`, name, environment: 'dev' },
        'SUPERVAIZER_API_KEY',
      ),
    ).toBe(key);
  }, 180_000);

  it('a failing deploy from a fresh state store rolls back to the revision another store verified', async () => {
    const good = await deployer().up(spec({ GREETING: 'two' }));
    expect(good.status).toBe('succeeded');
    const bad = await deployer().up({
      ...spec({ GREETING: 'three', BERTH_TEST_FAIL_HEALTH: '1' }),
      health: { intervalMs: 250, timeoutMs: 4_000 },
    });
    expect(bad.status).toBe('rolled-back');
    expect(bad.revision).toBe(good.revision);
    const manual = await deployer().rollback(spec());
    expect(manual.status).toBe('succeeded');
    expect(manual.revision).not.toBe(good.revision);
  }, 180_000);

  it('changing cloudRun({ serviceAccount, minInstances }) is planned as an update and applied', async () => {
    const changed = providerFor(emulator, {
      serviceAccount: 'agent@berth-it.iam.gserviceaccount.com',
      minInstances: 2,
    });
    const plan = await deployer(changed).plan(spec());
    expect(plan.action).toBe('update');
    expect(plan.changes.map((change) => change.path)).toEqual(
      expect.arrayContaining(['provider.minInstances', 'provider.serviceAccount']),
    );
    const applied = await deployer(changed).up(spec());
    expect(applied.status).toBe('succeeded');
    expect((await deployer(changed).plan(spec())).action).toBe('noop');
  }, 180_000);
});
