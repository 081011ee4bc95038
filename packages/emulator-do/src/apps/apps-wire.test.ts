import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DoEmulator, startDoEmulator } from '../index.js';
import { doClient, failure, rawCall, type Wire, waitForDeployment } from '../test-support/do-client.js';

const digest = `sha256:${'a'.repeat(64)}`;

function spec(name: string, envs: unknown[] = [], health: Record<string, unknown> = {}): Wire {
  return {
    name,
    region: 'fra',
    services: [
      {
        name: 'web',
        image: { registry_type: 'DOCR', repository: 'hello', digest },
        http_port: 8080,
        instance_count: 1,
        instance_size_slug: 'apps-s-1vcpu-0.5gb',
        health_check: {
          http_path: '/.well-known/health',
          period_seconds: 1,
          failure_threshold: 3,
          ...health,
        },
        envs,
      },
    ],
  };
}

let emulator: DoEmulator;
let runtime: ReturnType<typeof inProcessRuntime>;

beforeEach(async () => {
  runtime = inProcessRuntime();
  emulator = await startDoEmulator({
    runtime,
    healthCheckIntervalScale: 0.05,
    containerRegistry: { name: 'berth' },
  });
});
afterEach(async () => {
  await emulator.close();
});

async function createActive(name: string, envs: unknown[] = []) {
  const client = doClient(emulator);
  const { data } = await client.app.createApp({ spec: spec(name, envs) });
  const deploymentId = (data.app as Wire).pending_deployment.id as string;
  const done = await waitForDeployment(emulator, data.app.id, deploymentId);
  return { app: data.app as Wire, deployment: done.deployment, phases: done.phases };
}

describe('apps through dots-wrapper', () => {
  it('creates an app whose deployment goes through the phases to ACTIVE and then has a live_url that answers', async () => {
    emulator.setLatency({ phaseMs: 60 });
    const client = doClient(emulator);
    const { data } = await client.app.createApp({ spec: spec('hello-prod') });
    const app = data.app as Wire;
    expect(app.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(app.spec.name).toBe('hello-prod');
    expect(app.pending_deployment.phase).toBe('PENDING_BUILD');
    expect(app.live_url).toBeUndefined();
    expect(app.active_deployment).toBeUndefined();
    expect(app.region).toMatchObject({ slug: 'fra', data_centers: ['fra1'] });

    const during = (await client.app.getApp({ app_id: app.id })).data.app as Wire;
    expect(during.in_progress_deployment.id).toBe(app.pending_deployment.id);
    expect(during.live_url).toBeUndefined();

    const done = await waitForDeployment(emulator, app.id, app.pending_deployment.id);
    // Polling sees some of the phases, always in order; the deployment's log records every one.
    const order = ['PENDING_BUILD', 'BUILDING', 'PENDING_DEPLOY', 'DEPLOYING', 'ACTIVE'];
    expect(done.phases.map((phase) => order.indexOf(phase))).toEqual(
      [...done.phases.map((phase) => order.indexOf(phase))].sort(),
    );
    expect(done.phases.at(-1)).toBe('ACTIVE');
    const logs = await client.app.getAppDeploymentLogs({
      app_id: app.id,
      deployment_id: app.pending_deployment.id,
      component_name: 'web',
    });
    const logged = [...(await (await fetch(logs.data.live_url)).text()).matchAll(/phase (\w+)/g)].map(
      (match) => match[1],
    );
    expect(logged).toEqual(['PENDING_BUILD', 'BUILDING', 'PENDING_DEPLOY', 'DEPLOYING', 'ACTIVE']);
    expect(done.deployment.progress).toMatchObject({ success_steps: 6, total_steps: 6, error_steps: 0 });
    expect(done.deployment.progress.steps.map((step: Wire) => step.name)).toEqual(['build', 'deploy']);
    expect(done.deployment.cause).toBe('app created');

    const after = (await client.app.getApp({ app_id: app.id })).data.app as Wire;
    expect(after.active_deployment.id).toBe(app.pending_deployment.id);
    expect(after.in_progress_deployment).toBeUndefined();
    expect(after.live_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${after.live_url}/.well-known/health`);
    expect(health.status).toBe(200);
    // The container got PORT from http_port and the image from the account's DOCR registry.
    expect(runtime.launches[0]?.env.PORT).toBe('8080');
    expect(runtime.launches[0]?.image).toBe(`127.0.0.1:5000/berth/hello@${digest}`);
  });

  it('lists apps and deployments with links and meta', async () => {
    const { app } = await createActive('list-me');
    const client = doClient(emulator);
    const apps = (await client.app.listApps({})).data as Wire;
    expect(apps.meta.total).toBe(1);
    expect(apps.apps[0].id).toBe(app.id);
    await client.app.createAppDeployment({ app_id: app.id });
    const deployments = (await client.app.listAppDeployments({ app_id: app.id, per_page: 1 })).data as Wire;
    expect(deployments.meta.total).toBe(2);
    expect(deployments.deployments).toHaveLength(1);
    expect(deployments.deployments[0].cause).toBe('manual');
    expect(deployments.links.pages.next).toContain('page=2');
  });

  it('encrypts SECRET envs on save, keeps a resubmitted ciphertext and re-encrypts plaintext', async () => {
    const client = doClient(emulator);
    const envs = [
      { key: 'API_KEY', value: 's3cret', type: 'SECRET', scope: 'RUN_TIME' },
      { key: 'MODE', value: 'plain', type: 'GENERAL', scope: 'RUN_TIME' },
    ];
    const { app, deployment } = await createActive('secret-app', envs);
    const stored = app.spec.services[0].envs;
    expect(stored[0].value).toMatch(/^EV\[1:.+\]$/);
    expect(stored[0].value).not.toContain('s3cret');
    expect(stored[1].value).toBe('plain');
    expect(JSON.stringify(deployment)).not.toContain('s3cret');
    // The container sees the plaintext.
    expect(runtime.launches.at(-1)?.env.API_KEY).toBe('s3cret');

    // Resubmitting the ciphertext unchanged is no change: no new deployment.
    const same = (await client.app.updateApp({ app_id: app.id, spec: app.spec })).data.app as Wire;
    expect(same.spec.services[0].envs[0].value).toBe(stored[0].value);
    expect(same.pending_deployment).toBeUndefined();

    // Plaintext again is a new ciphertext, hence a new deployment.
    const again = (await client.app.updateApp({ app_id: app.id, spec: spec('secret-app', envs) })).data
      .app as Wire;
    expect(again.spec.services[0].envs[0].value).toMatch(/^EV\[/);
    expect(again.spec.services[0].envs[0].value).not.toBe(stored[0].value);
    expect(again.pending_deployment.cause).toBe('app spec updated');

    // A ciphertext the emulator never issued is refused.
    const forged = spec('secret-app', [{ key: 'API_KEY', value: 'EV[1:AAAA:BBBB]', type: 'SECRET' }]);
    const refused = await failure(client.app.updateApp({ app_id: app.id, spec: forged }));
    expect(refused.status).toBe(400);
    expect(refused.data.message).toContain('services[0].envs[0].value');
  });

  it('keeps the previous deployment serving when a new one fails its health check', async () => {
    const { app, deployment: first } = await createActive('fail-app');
    const client = doClient(emulator);
    const failing = spec('fail-app', [{ key: 'BERTH_TEST_FAIL_HEALTH', value: '1', scope: 'RUN_TIME' }]);
    const updated = (await client.app.updateApp({ app_id: app.id, spec: failing })).data.app as Wire;
    const done = await waitForDeployment(emulator, app.id, updated.pending_deployment.id);
    expect(done.deployment.phase).toBe('ERROR');
    expect(done.deployment.progress.error_steps).toBe(1);
    const wait = done.deployment.progress.steps[1].steps[1].steps[0].steps[1];
    expect(wait).toMatchObject({
      name: 'wait',
      status: 'ERROR',
      reason: { code: 'DeployHealthChecksFailed' },
    });
    expect(done.deployment.progress.steps[1].steps[1].steps[0].steps[0]).toMatchObject({
      name: 'deploy',
      status: 'SUCCESS',
    });
    expect(done.deployment.progress).toMatchObject({ running_steps: 0, pending_steps: 1 });

    const after = (await client.app.getApp({ app_id: app.id })).data.app as Wire;
    expect(after.active_deployment.id).toBe(first.id);
    expect(after.active_deployment.phase).toBe('ACTIVE');
    const health = await fetch(`${after.live_url}/.well-known/health`);
    expect(health.status).toBe(200);
  });

  it('cancels an in-progress deployment', async () => {
    emulator.setLatency({ phaseMs: 5_000 });
    const client = doClient(emulator);
    const app = (await client.app.createApp({ spec: spec('cancel-me') })).data.app as Wire;
    const canceled = await client.app.cancelAppDeployment({
      app_id: app.id,
      deployment_id: app.pending_deployment.id,
    });
    expect(canceled.data.deployment.phase).toBe('CANCELED');
    const after = (await client.app.getApp({ app_id: app.id })).data.app as Wire;
    expect(after.in_progress_deployment).toBeUndefined();
    expect(after.live_url).toBeUndefined();
  });

  it('supersedes a deployment still in progress with a newer one, which then serves', async () => {
    emulator.setLatency({ phaseMs: 600_000 });
    const client = doClient(emulator);
    const app = (await client.app.createApp({ spec: spec('supersede-me') })).data.app as Wire;
    const newer = (
      await client.app.updateApp({
        app_id: app.id,
        spec: spec('supersede-me', [{ key: 'BERTH_REVISION', value: 'r2', scope: 'RUN_TIME' }]),
      })
    ).data.app as Wire;
    const older = (
      await client.app.getAppDeployment({ app_id: app.id, deployment_id: app.pending_deployment.id })
    ).data.deployment;
    expect(older.phase).toBe('SUPERSEDED');
    const during = (await client.app.getApp({ app_id: app.id })).data.app as Wire;
    expect(during.in_progress_deployment.id).toBe(newer.pending_deployment.id);
    expect(during.pending_deployment.id).toBe(newer.pending_deployment.id);
    // Releasing the held phases lets the newer deployment finish at once.
    emulator.setLatency({ phaseMs: 0 });
    const done = await waitForDeployment(emulator, app.id, newer.pending_deployment.id);
    expect(done.deployment.phase).toBe('ACTIVE');
    expect(runtime.launches.map((launch) => launch.env.BERTH_REVISION)).toEqual(['r2']);
  });

  it('deploys an unchanged spec only with update_all_source_versions', async () => {
    const { app } = await createActive('source-versions');
    const unchanged = await rawCall(emulator, 'PUT', `/v2/apps/${app.id}`, { spec: app.spec });
    expect(unchanged.body.app.pending_deployment).toBeUndefined();
    const all = await rawCall(emulator, 'PUT', `/v2/apps/${app.id}`, {
      spec: app.spec,
      update_all_source_versions: true,
    });
    expect(all.status).toBe(200);
    expect(all.body.app.pending_deployment).toMatchObject({
      phase: 'PENDING_BUILD',
      cause: 'app spec updated',
    });
  });

  it('deletes an app and its URL', async () => {
    const { app } = await createActive('delete-me');
    const client = doClient(emulator);
    const live = ((await client.app.getApp({ app_id: app.id })).data.app as Wire).live_url;
    const deleted = await client.app.deleteApp({ app_id: app.id });
    expect(deleted.data).toEqual({ id: app.id });
    expect((await failure(client.app.getApp({ app_id: app.id }))).status).toBe(404);
    await expect(fetch(live)).rejects.toThrow();
  });

  it('serves a deployment log URL', async () => {
    const { app, deployment } = await createActive('logs-app');
    const client = doClient(emulator);
    const logs = await client.app.getAppDeploymentLogs({
      app_id: app.id,
      deployment_id: deployment.id,
      component_name: 'web',
    });
    expect(logs.data.historic_urls).toEqual([]);
    const text = await (await fetch(logs.data.live_url)).text();
    expect(text).toContain('phase ACTIVE');
  });
});

describe('errors as DigitalOcean answers them', () => {
  it('answers 400 naming the first invalid field', async () => {
    const client = doClient(emulator);
    const cases: [unknown, string][] = [
      [{ ...spec('x') }, '"name"'],
      [{ ...spec('a'.repeat(33)) }, '"name"'],
      [{ ...spec('Bad_Name') }, '"name"'],
      [{ ...spec('ok-app'), region: 'mars' }, '"region"'],
      [{ name: 'ok-app', services: [] }, '"services"'],
      [
        { ...spec('ok-app'), services: [{ ...spec('ok-app').services[0], name: 'Web' }] },
        '"services[0].name"',
      ],
      [
        {
          ...spec('ok-app'),
          services: [
            {
              ...spec('ok-app').services[0],
              image: { registry_type: 'DOCR', repository: 'r', tag: 'v1', digest },
            },
          ],
        },
        '"services[0].image.digest"',
      ],
      [
        {
          ...spec('ok-app'),
          services: [{ ...spec('ok-app').services[0], image: { registry_type: 'S3', repository: 'r' } }],
        },
        '"services[0].image.registry_type"',
      ],
      [
        { ...spec('ok-app'), services: [{ ...spec('ok-app').services[0], instance_size_slug: 'huge' }] },
        '"services[0].instance_size_slug"',
      ],
      [spec('ok-app', [], { success_threshold: 2 }), '"services[0].health_check.success_threshold"'],
      [spec('ok-app', [], { failure_threshold: 51 }), '"services[0].health_check.failure_threshold"'],
      [spec('ok-app', [{ key: '1BAD', value: 'v' }]), '"services[0].envs[0].key"'],
      [spec('ok-app', [{ key: 'K', value: 'v', scope: 'ALWAYS' }]), '"services[0].envs[0].scope"'],
    ];
    for (const [body, field] of cases) {
      const refused = await failure(client.app.createApp({ spec: body as Wire }));
      expect(refused.status, field).toBe(400);
      expect(refused.data.id).toBe('invalid_argument');
      expect(refused.data.message).toContain(`field ${field}`);
      expect(refused.data.request_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await client.app.listApps({})).data.apps).toEqual([]);
  });

  it('answers 409 for an app name that exists, 404 for an unknown app, 401 for a bad token', async () => {
    await createActive('taken');
    const client = doClient(emulator);
    const conflict = await failure(client.app.createApp({ spec: spec('taken') }));
    expect(conflict.status).toBe(409);
    expect(conflict.data).toMatchObject({ id: 'conflict' });
    const missing = await failure(client.app.getApp({ app_id: '00000000-0000-0000-0000-000000000000' }));
    expect(missing.status).toBe(404);
    expect(missing.data).toMatchObject({
      id: 'not_found',
      message: 'The resource you requested could not be found.',
    });
    const unauthorized = await failure(doClient(emulator, 'wrong').account.getAccount());
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.data).toMatchObject({ id: 'unauthorized', message: 'Unable to authenticate you' });
  });

  it('sends ratelimit headers on every answer and 429 with retry-after over the limit', async () => {
    emulator.setRateLimit({ perHour: 5000, perMinute: 3 });
    const first = await rawCall(emulator, 'GET', '/v2/account');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('5000');
    expect(first.headers.get('ratelimit-remaining')).toBe('4999');
    expect(Number(first.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    await rawCall(emulator, 'GET', '/v2/account');
    await rawCall(emulator, 'GET', '/v2/account');
    const limited = await rawCall(emulator, 'GET', '/v2/account');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ id: 'too_many_requests' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit-remaining')).toBe('4997');
  });

  it('injects faults: a throttled call, a failing call, a failing deployment', async () => {
    const client = doClient(emulator);
    emulator.faults.throttle('POST /v2/apps', 1, 2);
    const throttled = await failure(client.app.createApp({ spec: spec('faulty') }));
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('2');
    expect(throttled.headers['ratelimit-limit']).toBe('5000');
    expect((await client.app.listApps({})).data.apps).toEqual([]);

    emulator.faults.failNext({ operation: /^GET \/v2\/apps\/\{id\}$/, status: 503 });
    const { app } = await createActive('faulty');
    // createActive polls deployments, not the app: the fault still waits.
    expect(emulator.faults.pendingCalls).toBe(1);
    const unavailable = await failure(client.app.getApp({ app_id: app.id }));
    expect(unavailable.status).toBe(503);
    expect(unavailable.data.id).toBe('service_unavailable');

    emulator.faults.failDeployments({ app: 'faulty', mode: 'crash', times: 1 });
    const redeploy = await client.app.createAppDeployment({ app_id: app.id });
    const done = await waitForDeployment(emulator, app.id, redeploy.data.deployment.id);
    expect(done.deployment.phase).toBe('ERROR');
    const after = (await client.app.getApp({ app_id: app.id })).data.app as Wire;
    expect(after.active_deployment.phase).toBe('ACTIVE');
  });

  it('answers GET /v2/account', async () => {
    const { data } = await doClient(emulator).account.getAccount();
    expect(data.account).toMatchObject({ status: 'active', email_verified: true });
    expect(data.account.uuid).toMatch(/^[0-9a-f]{40}$/);
  });
});
