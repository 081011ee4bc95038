import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DoEmulator, startDoEmulator } from '../index.js';
import { doClient, failure, rawCall, type Wire, waitForDeployment } from '../test-support/do-client.js';

const digests = { v1: `sha256:${'1'.repeat(64)}`, v2: `sha256:${'2'.repeat(64)}` };

function spec(name: string, version: 'v1' | 'v2', failing = false): Wire {
  return {
    name,
    services: [
      {
        name: 'web',
        image: { registry_type: 'DOCR', repository: 'hello', digest: digests[version] },
        http_port: 8080,
        health_check: { http_path: '/.well-known/health', period_seconds: 1, failure_threshold: 3 },
        envs: [
          { key: 'BERTH_REVISION', value: version, scope: 'RUN_TIME' },
          ...(failing ? [{ key: 'BERTH_TEST_FAIL_HEALTH', value: '1', scope: 'RUN_TIME' }] : []),
        ],
      },
    ],
  };
}

let emulator: DoEmulator;

beforeEach(async () => {
  emulator = await startDoEmulator({
    runtime: inProcessRuntime(),
    healthCheckIntervalScale: 0.05,
    containerRegistry: { name: 'berth' },
  });
});
afterEach(async () => {
  await emulator.close();
});

/** An app with v1 deployed, then v2 deployed: v1 is SUPERSEDED and can be rolled back to. */
async function twoVersions(name: string) {
  const client = doClient(emulator);
  const created = (await client.app.createApp({ spec: spec(name, 'v1') })).data.app as Wire;
  const v1 = (await waitForDeployment(emulator, created.id, created.pending_deployment.id)).deployment;
  const updated = (await client.app.updateApp({ app_id: created.id, spec: spec(name, 'v2') })).data
    .app as Wire;
  const v2 = (await waitForDeployment(emulator, created.id, updated.pending_deployment.id)).deployment;
  return { appId: created.id as string, v1, v2 };
}

async function revision(appId: string): Promise<string> {
  const app = (await doClient(emulator).app.getApp({ app_id: appId })).data.app as Wire;
  const health = await fetch(`${app.live_url}/.well-known/health`);
  return ((await health.json()) as { revision: string }).revision;
}

describe('the rollback API', () => {
  it('validates, rolls back pinned, refuses deploys while pinned, then commits', async () => {
    const { appId, v1, v2 } = await twoVersions('roll-commit');
    expect(v1.phase).toBe('ACTIVE');
    const first = (await doClient(emulator).app.getAppDeployment({ app_id: appId, deployment_id: v1.id }))
      .data.deployment as Wire;
    expect(first.phase).toBe('SUPERSEDED');
    expect(v2.phase).toBe('ACTIVE');
    expect(await revision(appId)).toBe('v2');

    const valid = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/validate`, {
      deployment_id: v1.id,
    });
    expect(valid.status).toBe(200);
    expect(valid.body).toEqual({ valid: true });
    const active = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/validate`, {
      deployment_id: v2.id,
    });
    expect(active.body).toMatchObject({ valid: false, error: { code: 'incompatible_phase' } });

    const rollback = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, { deployment_id: v1.id });
    expect(rollback.status).toBe(200);
    expect(rollback.body.deployment).toMatchObject({ cloned_from: v1.id, phase: 'PENDING_BUILD' });
    const done = await waitForDeployment(emulator, appId, rollback.body.deployment.id);
    expect(done.deployment.phase).toBe('ACTIVE');
    expect(await revision(appId)).toBe('v1');

    const pinned = (await doClient(emulator).app.getApp({ app_id: appId })).data.app as Wire;
    expect(pinned.pinned_deployment.id).toBe(rollback.body.deployment.id);
    expect(pinned.spec.services[0].image.digest).toBe(digests.v1);

    // Pinned: no deploy of any kind, and no second rollback.
    const refusedDeploy = await failure(doClient(emulator).app.createAppDeployment({ app_id: appId }));
    expect(refusedDeploy.status).toBe(400);
    expect(refusedDeploy.data.message).toContain('pinned');
    const refusedUpdate = await failure(
      doClient(emulator).app.updateApp({ app_id: appId, spec: spec('roll-commit', 'v2') }),
    );
    expect(refusedUpdate.status).toBe(400);
    const again = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/validate`, {
      deployment_id: v2.id,
    });
    expect(again.body).toMatchObject({ valid: false, error: { code: 'app_pinned' } });

    const commit = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/commit`);
    expect(commit.status).toBe(200);
    expect(commit.body).toBeUndefined();
    const unpinned = (await doClient(emulator).app.getApp({ app_id: appId })).data.app as Wire;
    expect(unpinned.pinned_deployment).toBeUndefined();
    expect(unpinned.spec.services[0].image.digest).toBe(digests.v1);
    const redeploy = await doClient(emulator).app.createAppDeployment({ app_id: appId });
    expect(redeploy.data.deployment.cause).toBe('manual');
    const twice = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/commit`);
    expect(twice.status).toBe(400);
  });

  it('reverts a rollback: the spec before it deploys again and the app is unpinned', async () => {
    const { appId, v1 } = await twoVersions('roll-revert');
    const rollback = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, { deployment_id: v1.id });
    await waitForDeployment(emulator, appId, rollback.body.deployment.id);
    expect(await revision(appId)).toBe('v1');
    const revert = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/revert`);
    expect(revert.status).toBe(200);
    expect(revert.body.deployment.cause).toBe('rollback reverted');
    const done = await waitForDeployment(emulator, appId, revert.body.deployment.id);
    expect(done.deployment.phase).toBe('ACTIVE');
    expect(await revision(appId)).toBe('v2');
    const app = (await doClient(emulator).app.getApp({ app_id: appId })).data.app as Wire;
    expect(app.pinned_deployment).toBeUndefined();
    expect(app.spec.services[0].image.digest).toBe(digests.v2);
  });

  it('rolls back unpinned with skip_pin', async () => {
    const { appId, v1 } = await twoVersions('roll-skip');
    const rollback = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, {
      deployment_id: v1.id,
      skip_pin: true,
    });
    await waitForDeployment(emulator, appId, rollback.body.deployment.id);
    const app = (await doClient(emulator).app.getApp({ app_id: appId })).data.app as Wire;
    expect(app.pinned_deployment).toBeUndefined();
    expect((await doClient(emulator).app.createAppDeployment({ app_id: appId })).status).toBe(200);
  });

  it('refuses a rollback to a failed deployment, an unknown one, or none named; warns of a tag', async () => {
    const { appId } = await twoVersions('roll-invalid');
    const client = doClient(emulator);
    const failing = (await client.app.updateApp({ app_id: appId, spec: spec('roll-invalid', 'v1', true) }))
      .data.app as Wire;
    const failed = await waitForDeployment(emulator, appId, failing.pending_deployment.id);
    expect(failed.deployment.phase).toBe('ERROR');
    const check = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/validate`, {
      deployment_id: failed.deployment.id,
    });
    expect(check.body).toMatchObject({
      valid: false,
      error: {
        code: 'incompatible_result',
        message: 'deployment result "failed" is unsuitable for rollback',
      },
    });
    const refused = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, {
      deployment_id: failed.deployment.id,
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ id: 'bad_request', message: expect.stringContaining('failed') });
    const unknown = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, {
      deployment_id: '00000000-0000-0000-0000-000000000000',
    });
    expect(unknown.status).toBe(404);
    const none = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback`, {});
    expect(none.status).toBe(400);
    expect(none.body.message).toContain('deployment_id');

    const tagged = spec('roll-tag', 'v1');
    tagged.services[0].image = { registry_type: 'DOCR', repository: 'hello', tag: 'v1' };
    const created = (await client.app.createApp({ spec: tagged })).data.app as Wire;
    const firstTagged = (await waitForDeployment(emulator, created.id, created.pending_deployment.id))
      .deployment;
    const second = (await client.app.createAppDeployment({ app_id: created.id })).data.deployment;
    await waitForDeployment(emulator, created.id, second.id);
    const warned = await rawCall(emulator, 'POST', `/v2/apps/${created.id}/rollback/validate`, {
      deployment_id: firstTagged.id,
    });
    expect(warned.body).toMatchObject({
      valid: true,
      warnings: [{ code: 'image_source_missing_digest', components: ['web'] }],
    });
  });

  it('answers 404 on the rollback routes of an unknown app and 400 on commit or revert without a rollback', async () => {
    const missing = await rawCall(
      emulator,
      'POST',
      '/v2/apps/00000000-0000-0000-0000-000000000000/rollback/commit',
    );
    expect(missing.status).toBe(404);
    const { appId } = await twoVersions('roll-none');
    const revert = await rawCall(emulator, 'POST', `/v2/apps/${appId}/rollback/revert`);
    expect(revert.status).toBe(400);
    expect(revert.body.id).toBe('bad_request');
  });
});
