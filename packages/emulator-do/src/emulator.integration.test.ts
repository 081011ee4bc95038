import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTestEnvironment } from '../../../test-support/test-env.js';
import { type DoEmulator, startDoEmulator } from './index.js';
import { doClient, rawCall, type Wire, waitForDeployment } from './test-support/do-client.js';

// The emulator with its default runtime: every deployment's component is a container pulled from the
// local registry and run on the local Docker engine. Fails (never skips) without the test environment.
const environment = requireTestEnvironment(['docker', 'registry', 'images']);
const registry = environment.registry;
const docker = new Docker({ socketPath: environment.docker.socketPath });
const suffix = Date.now().toString(36);
const registryName = `do-it-${suffix}`;
const repository = 'hello';
const label = 'berth.do-emulator';

let emulator: DoEmulator;
let digest: string;

/** Push the health service as `<registry>/<registryName>/<repository>:<tag>` with the given login. */
async function push(auth: string, tag: string): Promise<string> {
  const [username = '', password = ''] = Buffer.from(auth, 'base64').toString().split(':');
  const local = `${registry.host}/${registryName}/${repository}`;
  await docker.getImage(environment.images.healthService).tag({ repo: local, tag });
  const stream = await docker
    .getImage(`${local}:${tag}`)
    .push({ authconfig: { username, password, serveraddress: registry.host } });
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: { error?: string }[]) => {
      const failed = error ?? output.find((entry) => entry.error);
      if (failed) reject(failed instanceof Error ? failed : new Error(String(failed.error)));
      else resolve();
    }),
  );
  await docker.getImage(`${local}:${tag}`).remove();
  const manifest = await fetch(`http://${registry.host}/v2/${registryName}/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      authorization: `Basic ${auth}`,
      accept: [
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
      ].join(', '),
    },
  });
  return manifest.headers.get('docker-content-digest') ?? '';
}

async function containersOf(app: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${label}.service=${app}`] } });
  return list.map((container) => container.Id);
}

function spec(name: string, revision: string, extra: Wire[] = []): Wire {
  return {
    name,
    region: 'ams',
    services: [
      {
        name: 'web',
        image: { registry_type: 'DOCR', repository, digest },
        http_port: 8080,
        instance_size_slug: 'apps-s-1vcpu-0.5gb',
        health_check: { http_path: '/.well-known/health', period_seconds: 2, failure_threshold: 3 },
        envs: [
          { key: 'BERTH_REVISION', value: revision, scope: 'RUN_TIME' },
          { key: 'API_KEY', value: `key-${revision}`, type: 'SECRET', scope: 'RUN_TIME' },
          ...extra,
        ],
      },
    ],
  };
}

async function served(liveUrl: string): Promise<{ revision: string; apiKey: string }> {
  const health = (await (await fetch(`${liveUrl}/.well-known/health`)).json()) as { revision: string };
  const apiKey = await (await fetch(`${liveUrl}/env/API_KEY`)).text();
  return { revision: health.revision, apiKey };
}

async function appOf(id: string): Promise<Wire> {
  return (await doClient(emulator).app.getApp({ app_id: id })).data.app;
}

beforeAll(async () => {
  emulator = await startDoEmulator({
    registry: { host: registry.host, username: registry.username, password: registry.password },
    healthCheckIntervalScale: 0.1,
    // The tests poll deployments every 50 ms: more than DigitalOcean's 250 a minute (limits are tested in the wire tests).
    rateLimit: { perHour: 100_000, perMinute: 10_000 },
    startupTimeoutMs: 60_000,
  });
}, 60_000);
afterAll(async () => {
  await emulator?.close();
  // The pushed image is this run's own: remove it from the shared registry.
  if (digest)
    await fetch(`http://${registry.host}/v2/${registryName}/${repository}/manifests/${digest}`, {
      method: 'DELETE',
      headers: {
        authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}`,
      },
    }).catch(() => undefined);
});

describe('App Platform with real containers', () => {
  const name = `do-it-${suffix}`.slice(0, 32);
  let appId: string;
  let firstDeployment: string;
  let liveUrl: string;

  it('creates the registry, pushes with its docker credentials and deploys by digest to ACTIVE', async () => {
    const client = doClient(emulator);
    const created = await rawCall(emulator, 'POST', '/v2/registry', {
      name: registryName,
      subscription_tier_slug: 'basic',
    });
    expect(created.status).toBe(201);
    const credentials = await client.containerRegistry.getDockerCredentials({
      can_write: true,
      expiry_seconds: 900,
    });
    const auth = credentials.data.auths[registry.host].auth as string;
    digest = await push(auth, 'v1');
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const app = (await client.app.createApp({ spec: spec(name, 'r1') })).data.app as Wire;
    appId = app.id;
    firstDeployment = app.pending_deployment.id;
    expect(app.live_url).toBeUndefined();
    const done = await waitForDeployment(emulator, appId, firstDeployment);
    expect(done.deployment.phase).toBe('ACTIVE');
    const after = await appOf(appId);
    liveUrl = after.live_url;
    expect(liveUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await served(liveUrl)).toEqual({ revision: 'r1', apiKey: 'key-r1' });
    expect(after.spec.services[0].envs[1].value).toMatch(/^EV\[/);
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('updates: the new deployment takes over the same live_url and the old container goes', async () => {
    const client = doClient(emulator);
    const updated = (await client.app.updateApp({ app_id: appId, spec: spec(name, 'r2') })).data.app as Wire;
    const done = await waitForDeployment(emulator, appId, updated.pending_deployment.id);
    expect(done.deployment.phase).toBe('ACTIVE');
    const after = await appOf(appId);
    expect(after.live_url).toBe(liveUrl);
    expect(await served(liveUrl)).toEqual({ revision: 'r2', apiKey: 'key-r2' });
    const first = (await client.app.getAppDeployment({ app_id: appId, deployment_id: firstDeployment })).data
      .deployment;
    expect(first.phase).toBe('SUPERSEDED');
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('a deployment failing its health check goes to ERROR and the previous one keeps serving', async () => {
    const client = doClient(emulator);
    const failing = spec(name, 'r3', [{ key: 'BERTH_TEST_FAIL_HEALTH', value: '1', scope: 'RUN_TIME' }]);
    const updated = (await client.app.updateApp({ app_id: appId, spec: failing })).data.app as Wire;
    const done = await waitForDeployment(emulator, appId, updated.pending_deployment.id);
    expect(done.deployment.phase).toBe('ERROR');
    expect(JSON.stringify(done.deployment.progress)).toContain('DeployHealthChecksFailed');
    const after = await appOf(appId);
    expect(after.active_deployment.spec.services[0].envs[0].value).toBe('r2');
    expect(await served(liveUrl)).toEqual({ revision: 'r2', apiKey: 'key-r2' });
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('rolls back to the first deployment pinned, refuses deploys, commits; a second rollback reverts', async () => {
    const client = doClient(emulator);
    const valid = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/validate`, {
      deployment_id: firstDeployment,
    });
    expect(valid.body).toEqual({ valid: true });
    const rollback = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, {
      deployment_id: firstDeployment,
    });
    expect(rollback.status).toBe(200);
    const done = await waitForDeployment(emulator, appId, rollback.body.deployment.id);
    expect(done.deployment.phase).toBe('ACTIVE');
    expect(await served(liveUrl)).toEqual({ revision: 'r1', apiKey: 'key-r1' });
    const refused = await rawCall(emulator, 'POST', `/v2/apps/${appId}/deployments`, {});
    expect(refused.status).toBe(400);
    expect((await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/commit`)).status).toBe(200);
    expect((await appOf(appId)).pinned_deployment).toBeUndefined();

    // Roll back again (to r2), then revert: r1, the spec before that rollback, serves again.
    const list = (await client.app.listAppDeployments({ app_id: appId })).data.deployments as Wire[];
    const r2 = list.find(
      (deployment) => deployment.spec.services[0].envs[0].value === 'r2' && deployment.phase === 'SUPERSEDED',
    );
    const second = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, { deployment_id: r2.id });
    await waitForDeployment(emulator, appId, second.body.deployment.id);
    expect((await served(liveUrl)).revision).toBe('r2');
    const revert = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/revert`);
    const reverted = await waitForDeployment(emulator, appId, revert.body.deployment.id);
    expect(reverted.deployment.phase).toBe('ACTIVE');
    expect(await served(liveUrl)).toEqual({ revision: 'r1', apiKey: 'key-r1' });
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('an injected crash fails the deployment and the previous container keeps serving', async () => {
    emulator.faults.failDeployments({ app: name, mode: 'crash', times: 1 });
    const deployment = (await doClient(emulator).app.createAppDeployment({ app_id: appId })).data.deployment;
    const done = await waitForDeployment(emulator, appId, deployment.id);
    expect(done.deployment.phase).toBe('ERROR');
    expect(JSON.stringify(done.deployment.progress)).toContain('DeployContainerExited');
    expect((await served(liveUrl)).revision).toBe('r1');
    expect(await containersOf(name)).toHaveLength(1);
  });

  it('a deployment of an image the registry lacks fails at deploy and changes nothing served', async () => {
    const missing = spec(name, 'r4');
    missing.services[0].image = { registry_type: 'DOCR', repository: 'absent', tag: 'nope' };
    const updated = (await doClient(emulator).app.updateApp({ app_id: appId, spec: missing })).data
      .app as Wire;
    const done = await waitForDeployment(emulator, appId, updated.pending_deployment.id);
    expect(done.deployment.phase).toBe('ERROR');
    expect(JSON.stringify(done.deployment.progress)).toContain('DeployImagePullFailed');
    expect((await served(liveUrl)).revision).toBe('r1');
  });

  it('deletes the app: its containers and URL go', async () => {
    await doClient(emulator).app.deleteApp({ app_id: appId });
    expect(await containersOf(name)).toEqual([]);
    await expect(fetch(liveUrl)).rejects.toThrow();
  });
});
