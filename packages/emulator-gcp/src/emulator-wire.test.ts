import { inProcessRuntime } from '@berth/emulator-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GcpEmulator, startGcpEmulator } from './index.js';

// The emulator at the HTTP level: what Google's JSON front end answers, byte for byte where it matters.
let emulator: GcpEmulator;
beforeAll(async () => {
  emulator = await startGcpEmulator({ runtime: inProcessRuntime() });
});
afterAll(async () => emulator.close());

const parent = 'projects/wire-project/locations/us-central1';
const auth = { authorization: 'Bearer test', 'content-type': 'application/json' };

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Wire };
}

async function waitDone(operation: Wire) {
  return (await call('POST', `/v2/${String(operation.name)}:wait`, { timeout: '30s' })).json;
}

/** Wire JSON, read field by field in assertions. */
type Wire = Record<string, unknown>;

/** The value at `path` in wire JSON (`undefined` when absent). */
function at(value: unknown, ...path: (string | number)[]): unknown {
  return path.reduce<unknown>(
    (cursor, key) =>
      cursor !== null && typeof cursor === 'object'
        ? (cursor as Record<string | number, unknown>)[key]
        : undefined,
    value,
  );
}

const minimal = { template: { containers: [{ image: 'registry.test/app:1' }] } };

describe('errors as google.rpc.Status', () => {
  it('rejects a call without a bearer token with 401 UNAUTHENTICATED', async () => {
    const { status, json } = await call('GET', `/v2/${parent}/services`, undefined, {});
    expect(status).toBe(401);
    expect(at(json, 'error')).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
  });

  it('rejects unknown body fields and unknown query parameters with 400 INVALID_ARGUMENT', async () => {
    const unknown = await call('POST', `/v2/${parent}/services?serviceId=a1`, { ...minimal, colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(at(unknown.json, 'error', 'status')).toBe('INVALID_ARGUMENT');
    expect(at(unknown.json, 'error', 'message')).toContain('Unknown name "colour"');
    expect(at(unknown.json, 'error', 'details', 0, '@type')).toBe(
      'type.googleapis.com/google.rpc.BadRequest',
    );
    const query = await call('GET', `/v2/${parent}/services?colour=red`);
    expect(at(query.json, 'error', 'message')).toContain('Cannot bind query parameter');
  });

  it('rejects a missing required field', async () => {
    const { status, json } = await call('POST', `/v2/${parent}/services`, minimal);
    expect(status).toBe(400);
    expect(at(json, 'error', 'message')).toContain('service_id');
  });

  it('answers 404 NOT_FOUND with Cloud Run v2 wording', async () => {
    const { status, json } = await call('GET', `/v2/${parent}/services/nope`);
    expect(status).toBe(404);
    expect(at(json, 'error', 'message')).toBe(
      "Resource 'nope' of kind 'SERVICE' in region 'us-central1' in project 'wire-project' does not exist.",
    );
  });

  it.each([
    [
      'a reserved env name',
      { template: { containers: [{ image: 'i', env: [{ name: 'PORT', value: '1' }] }] } },
      'reserved env names were provided: PORT',
    ],
    [
      'a revision not prefixed by the service',
      { template: { revision: 'other-1', containers: [{ image: 'i' }] } },
      'must be prefixed by the name of the enclosing Service',
    ],
    [
      'traffic not summing to 100',
      { ...minimal, traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 50 }] },
      'must sum to 100',
    ],
    [
      'an unknown revision in traffic',
      {
        ...minimal,
        traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'v-x', percent: 100 }],
      },
      "Revision 'v-x' referenced in traffic not found",
    ],
    ['a container without image', { template: { containers: [{}] } }, 'service.template.containers[0].image'],
  ])('validates what Cloud Run validates: %s', async (_case, service, message) => {
    const { status, json } = await call('POST', `/v2/${parent}/services?serviceId=v`, service);
    expect(status).toBe(400);
    expect(at(json, 'error', 'message')).toContain(message);
  });

  it('rejects an invalid service id', async () => {
    const { json } = await call('POST', `/v2/${parent}/services?serviceId=9bad-`, minimal);
    expect(at(json, 'error', 'message')).toContain('must begin with a letter');
  });
});

describe('services and long-running operations', () => {
  let created: Wire;

  it('creates a service through an operation whose metadata and response are typed Services', async () => {
    emulator.setLatency({ operationMs: 300 });
    const { status, json } = await call('POST', `/v2/${parent}/services?serviceId=wire`, minimal);
    emulator.setLatency({ operationMs: 0 });
    expect(status).toBe(200);
    expect(at(json, 'name')).toMatch(new RegExp(`^${parent}/operations/[0-9a-f-]{36}$`));
    expect(at(json, 'done')).toBeUndefined();
    expect(at(json, 'metadata', '@type')).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    expect(at(json, 'metadata', 'reconciling')).toBe(true);
    const done = await waitDone(json);
    expect(at(done, 'done')).toBe(true);
    created = at(done, 'response') as Wire;
    expect(at(created, '@type')).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    expect(created).toMatchObject({
      name: `${parent}/services/wire`,
      generation: '1',
      observedGeneration: '1',
      terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
      trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
    });
    expect(at(created, 'latestReadyRevision')).toMatch(
      new RegExp(`^${parent}/services/wire/revisions/wire-00001-[a-z0-9]{3}$`),
    );
    expect(at(created, 'reconciling')).toBeUndefined();
    expect(at(created, 'uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('writes enums as numbers when the client asks for enum-encoding=int', async () => {
    const { json } = await call('GET', `/v2/${parent}/services/wire?$alt=json%3Benum-encoding%3Dint`);
    expect(at(json, 'terminalCondition', 'state')).toBe(4);
    expect(at(json, 'trafficStatuses', 0, 'type')).toBe(1);
  });

  it('refuses a duplicate with 409 ALREADY_EXISTS', async () => {
    const { status, json } = await call('POST', `/v2/${parent}/services?serviceId=wire`, minimal);
    expect(status).toBe(409);
    expect(at(json, 'error', 'status')).toBe('ALREADY_EXISTS');
  });

  it('refuses an update with a stale etag with 409 ABORTED', async () => {
    const { status, json } = await call('PATCH', `/v2/${parent}/services/wire`, {
      ...minimal,
      etag: '"stale"',
    });
    expect(status).toBe(409);
    expect(at(json, 'error', 'status')).toBe('ABORTED');
  });

  it('routes a traffic split and tags for real', async () => {
    const update = await call('PATCH', `/v2/${parent}/services/wire`, {
      template: { revision: 'wire-two', containers: [{ image: 'registry.test/app:2' }] },
      traffic: [
        {
          type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
          revision: String(at(created, 'latestReadyRevision')).split('/').pop(),
          percent: 50,
        },
        { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'wire-two', percent: 50, tag: 'two' },
      ],
    });
    const service = (await waitDone(update.json)).response;
    expect(at(service, 'generation')).toBe('2');
    const tagUri = String(
      (at(service, 'trafficStatuses') as Wire[]).find((status) => String(status.tag) === 'two')?.uri,
    );
    const bodies: string[] = [];
    for (let index = 0; index < 10; index += 1)
      bodies.push(
        await (await fetch(String(at(service, 'uri')), { headers: { authorization: 'Bearer x' } })).text(),
      );
    expect(bodies.filter((body) => body === 'revision wire-two')).toHaveLength(5);
    expect(await (await fetch(tagUri, { headers: { authorization: 'Bearer x' } })).text()).toBe(
      'revision wire-two',
    );
  });

  it('answers 403 on the service URL without an allUsers invoker, 200 once it has one', async () => {
    expect((await fetch(String(at(created, 'uri')))).status).toBe(403);
    const policy = await call('POST', `/v2/${parent}/services/wire:setIamPolicy`, {
      policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] },
    });
    expect(at(policy.json, 'etag')).toBeTruthy();
    expect((await fetch(String(at(created, 'uri')))).status).toBe(200);
    const stale = await call('POST', `/v2/${parent}/services/wire:setIamPolicy`, {
      policy: { etag: 'ACAB', bindings: [] },
    });
    expect(at(stale.json, 'error', 'status')).toBe('ABORTED');
  });

  it('refuses to delete a revision that serves traffic', async () => {
    const { json } = await call('DELETE', `/v2/${parent}/services/wire/revisions/wire-two`);
    expect(at(json, 'error', 'status')).toBe('FAILED_PRECONDITION');
  });

  it('fails the operation of a revision that cannot start and keeps routes as they were', async () => {
    emulator.faults.failRevisions({ service: 'wire', mode: 'startup-probe', times: 1 });
    const update = await call('PATCH', `/v2/${parent}/services/wire`, {
      template: { revision: 'wire-three', containers: [{ image: 'registry.test/app:3' }] },
      traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'wire-three', percent: 100 }],
    });
    const operation = await waitDone(update.json);
    expect(at(operation, 'error', 'code')).toBe(9);
    expect(at(operation, 'error', 'message')).toContain(
      "Revision 'wire-three' is not ready and cannot serve traffic",
    );
    const service = (await call('GET', `/v2/${parent}/services/wire`)).json;
    expect(at(service, 'terminalCondition', 'state')).toBe('CONDITION_FAILED');
    expect(at(service, 'latestCreatedRevision')).toMatch(/wire-three$/);
    expect((at(service, 'trafficStatuses') as unknown as Wire[]).map((status) => status.percent)).toEqual([
      50, 50,
    ]);
    const revision = (await call('GET', `/v2/${parent}/services/wire/revisions/wire-three`)).json;
    expect(at(revision, 'conditions', 0)).toMatchObject({
      type: 'Ready',
      state: 'CONDITION_FAILED',
      revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR',
    });
  });

  it('injects call faults before doing anything', async () => {
    emulator.faults.failNext({ method: 'GetService', code: 'UNAVAILABLE', times: 1 });
    expect((await call('GET', `/v2/${parent}/services/wire`)).status).toBe(503);
    expect((await call('GET', `/v2/${parent}/services/wire`)).status).toBe(200);
  });

  it('deletes the service through an operation and closes its URL', async () => {
    const { json } = await call('DELETE', `/v2/${parent}/services/wire`);
    const done = await waitDone(json);
    expect(at(done, 'response', '@type')).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    expect((await call('GET', `/v2/${parent}/services/wire`)).status).toBe(404);
    await expect(fetch(String(at(created, 'uri')))).rejects.toThrow();
  });
});
