import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DoEmulator, startDoEmulator } from '../index.js';
import { doClient, failure, rawCall } from '../test-support/do-client.js';

let emulator: DoEmulator;

beforeEach(async () => {
  emulator = await startDoEmulator({
    runtime: inProcessRuntime(),
    registry: { host: '127.0.0.1:5000', username: 'berth', password: 'pw' },
  });
});
afterEach(async () => {
  await emulator.close();
});

describe('the container registry', () => {
  it('has no registry at first, creates one, refuses a second, deletes it', async () => {
    const client = doClient(emulator);
    expect((await failure(client.containerRegistry.getRegistry())).status).toBe(404);
    // dots-wrapper's configureRegistry sends only `name`; the API requires a subscription tier.
    const incomplete = await failure(client.containerRegistry.configureRegistry({ name: 'berth' }));
    expect(incomplete.status).toBe(422);
    expect(incomplete.data.message).toContain('subscription_tier_slug');
    const bad = await rawCall(emulator, 'POST', '/v2/registry', {
      name: 'Bad_Name',
      subscription_tier_slug: 'basic',
    });
    expect(bad.status).toBe(422);
    const created = await rawCall(emulator, 'POST', '/v2/registry', {
      name: 'berth',
      subscription_tier_slug: 'basic',
      region: 'fra1',
    });
    expect(created.status).toBe(201);
    expect(created.body.registry).toMatchObject({ name: 'berth', region: 'fra1', storage_usage_bytes: 0 });
    const got = await client.containerRegistry.getRegistry();
    expect(got.data.registry.name).toBe('berth');
    const second = await rawCall(emulator, 'POST', '/v2/registry', {
      name: 'other',
      subscription_tier_slug: 'basic',
    });
    expect(second.status).toBe(409);
    const deleted = await client.containerRegistry.deleteRegistry();
    expect(deleted.status).toBe(204);
    expect((await failure(client.containerRegistry.getRegistry())).status).toBe(404);
  });

  it('returns a Docker config for the local registry', async () => {
    const client = doClient(emulator);
    const { data } = await client.containerRegistry.getDockerCredentials({
      can_write: true,
      expiry_seconds: 600,
    });
    expect(Object.keys(data.auths)).toEqual(['127.0.0.1:5000']);
    expect(Buffer.from(data.auths['127.0.0.1:5000'].auth, 'base64').toString()).toBe('berth:pw');
    const call = emulator.calls.at(-1);
    expect(call).toMatchObject({ operation: 'GET /v2/registry/docker-credentials', status: 200 });
    const bad = await rawCall(emulator, 'GET', '/v2/registry/docker-credentials?expiry_seconds=soon');
    expect(bad.status).toBe(400);
  });
});
