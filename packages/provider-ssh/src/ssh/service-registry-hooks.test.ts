import { describe, expect, it } from 'vitest';
import { postRegistryEvent, serviceRegistryHooks } from './service-registry-hooks.js';

function fakeFetch(statuses: (number | Error)[]) {
  const calls: { url: string; body: unknown; headers: Record<string, string> }[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({
      url: String(url),
      body: JSON.parse(String(init?.body)),
      headers: init?.headers as Record<string, string>,
    });
    const next = statuses.shift() ?? 200;
    if (next instanceof Error) throw next;
    return new Response('{}', { status: next });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const sleeps: number[] = [];
const sleep = async (ms: number) => {
  sleeps.push(ms);
};
const context = () => ({ signal: new AbortController().signal, log: (_message: string) => {} });
const event = {
  event: 'register' as const,
  service: 'api-prod',
  url: 'http://h:8080',
  revision: '3-abc',
  at: '2025-01-01T00:00:00Z',
};

describe('postRegistryEvent', () => {
  it('posts the event as JSON with the given headers', async () => {
    const { fetch, calls } = fakeFetch([200]);
    await postRegistryEvent(
      { url: 'http://registry/register', headers: { authorization: 'Bearer t' }, fetch, sleep },
      event,
      context(),
    );
    expect(calls).toEqual([
      {
        url: 'http://registry/register',
        body: event,
        headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      },
    ]);
  });

  it('retries network errors, 429 and 5xx with doubling waits', async () => {
    sleeps.length = 0;
    const { fetch, calls } = fakeFetch([new Error('ECONNREFUSED'), 503, 200]);
    await postRegistryEvent(
      { url: 'http://registry', fetch, sleep, attempts: 3, backoffMs: 100 },
      event,
      context(),
    );
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([100, 200]);
  });

  it('gives up after the last attempt, naming the last failure', async () => {
    const { fetch, calls } = fakeFetch([500, 502]);
    await expect(
      postRegistryEvent({ url: 'http://registry', fetch, sleep, attempts: 2 }, event, context()),
    ).rejects.toThrow(/register at http:\/\/registry failed: HTTP 502/);
    expect(calls).toHaveLength(2);
  });

  it('does not retry a request the registry refuses (4xx)', async () => {
    const { fetch, calls } = fakeFetch([400, 200]);
    await expect(
      postRegistryEvent({ url: 'http://registry', fetch, sleep }, event, context()),
    ).rejects.toThrow(/HTTP 400/);
    expect(calls).toHaveLength(1);
  });
});

describe('serviceRegistryHooks', () => {
  it('registers after verify with the URL and revision, and deregisters before destroy', async () => {
    const { fetch, calls } = fakeFetch([200, 200]);
    const [register, deregister] = serviceRegistryHooks({ url: 'http://registry', fetch, sleep });
    expect(register).toMatchObject({ after: 'verify', onFailure: 'continue' });
    expect(deregister).toMatchObject({ before: 'destroy' });
    const hookContext = {
      service: 'api-prod',
      runId: 'run-1',
      phase: 'verify' as const,
      when: 'after' as const,
      signal: new AbortController().signal,
      facts: { url: 'http://h:8080', revision: '3-abc' },
      log: () => {},
    };
    await register?.run(hookContext);
    await deregister?.run({ ...hookContext, phase: 'destroy', when: 'before', facts: {} });
    expect(calls.map((call) => call.body)).toMatchObject([
      { event: 'register', service: 'api-prod', url: 'http://h:8080', revision: '3-abc' },
      { event: 'deregister', service: 'api-prod' },
    ]);
  });

  it('can fail the phase instead, and leave deregistration out', () => {
    const hooks = serviceRegistryHooks({ url: 'http://registry', onFailure: 'abort', deregister: false });
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.onFailure).toBe('abort');
  });
});
