import { BerthError, type DesiredService, type ProviderContext } from '@berth/core';
import { serviceSpecSchema } from '@berth/core/schemas';
import { describe, expect, it } from 'vitest';
import { type FakeHostTransport, fakeHostTransport } from '../test/fake-host-transport.js';
import { parseHostOptions } from './host-options.js';
import { hostProvider, validateHostSpec } from './host-provider.js';
import { localSecretStore } from './local-secret-store.js';

const context: ProviderContext = {
  signal: new AbortController().signal,
  clock: { now: () => 0, sleep: async () => {} },
  progress: () => {},
  log: () => {},
};
const image = 'berth/health-service:test';

function desired(revision: string, overrides: Partial<DesiredService> = {}): DesiredService {
  return {
    service: 'hello-dev',
    name: 'hello',
    environment: 'dev',
    revision,
    image: { ref: image },
    port: 8000,
    env: {},
    secrets: {},
    healthPath: '/.well-known/health',
    resources: {},
    public: true,
    ...overrides,
  };
}

function providerOn(transport: FakeHostTransport, options: Record<string, unknown> = {}) {
  const parsed = parseHostOptions({ secretsDir: '/nonexistent/berth-secrets', ...options }, 'test');
  return hostProvider({
    name: 'test-host',
    transport,
    options: parsed,
    secrets: localSecretStore({ directory: parsed.secretsDir }),
  });
}

const target = { service: 'hello-dev', name: 'hello', environment: 'dev' };

describe('hostProvider apply', () => {
  it('creates the new container while the old one serves, then stops the old one and starts the new', async () => {
    const transport = fakeHostTransport([image]);
    const provider = providerOn(transport);
    await provider.apply(context, desired('0001-aaaaa'), { reason: 'deploy' });
    transport.calls.length = 0;
    const outcome = await provider.apply(context, desired('0002-bbbbb'), { reason: 'deploy' });
    expect(transport.calls).toEqual([
      'create berth-hello-dev-0002-bbbbb',
      'stop berth-hello-dev-0001-aaaaa',
      'start berth-hello-dev-0002-bbbbb',
    ]);
    expect(outcome).toEqual({
      revision: '0002-bbbbb',
      url: 'http://127.0.0.1:8000',
      data: { container: 'berth-hello-dev-0002-bbbbb', containerId: 'id-berth-hello-dev-0002-bbbbb' },
    });
  });

  it('starts the previous revision again when the new container cannot start', async () => {
    const transport = fakeHostTransport([image]);
    const provider = providerOn(transport);
    await provider.apply(context, desired('0001-aaaaa'), { reason: 'deploy' });
    const failure = new BerthError('PROVIDER_CONFLICT', 'port is already allocated');
    transport.failNext('start', '0002-bbbbb', failure);
    await expect(provider.apply(context, desired('0002-bbbbb'), { reason: 'deploy' })).rejects.toBe(failure);
    expect(transport.calls.slice(-2)).toEqual([
      'start berth-hello-dev-0002-bbbbb',
      'start berth-hello-dev-0001-aaaaa',
    ]);
    expect((await provider.observe(context, target))?.revision).toBe('0001-aaaaa');
  });

  it('changes nothing when the image is missing and cannot be pulled', async () => {
    const transport = fakeHostTransport([image]);
    const provider = providerOn(transport);
    await provider.apply(context, desired('0001-aaaaa'), { reason: 'deploy' });
    transport.calls.length = 0;
    await expect(
      provider.apply(context, desired('0002-bbbbb', { image: { ref: 'other/image:1' } }), {
        reason: 'deploy',
      }),
    ).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
    });
    expect(transport.calls).toEqual(['pull other/image:1']);
  });

  it('prunes stopped revisions beyond keepRevisions, keeping the one that served before', async () => {
    const transport = fakeHostTransport([image]);
    const provider = providerOn(transport, { keepRevisions: 1 });
    for (const revision of ['0001-aaaaa', '0002-bbbbb', '0003-ccccc', '0004-ddddd'])
      await provider.apply(context, desired(revision), { reason: 'deploy' });
    const names = [...transport.containers.values()].map(
      (container) => `${container.body.name}:${container.state}`,
    );
    expect(names).toEqual(['berth-hello-dev-0003-ccccc:exited', 'berth-hello-dev-0004-ddddd:running']);
  });

  it('keeps a deploy whose new container runs when pruning an old one fails, with a warning', async () => {
    const transport = fakeHostTransport([image]);
    const provider = providerOn(transport, { keepRevisions: 1 });
    const warnings: string[] = [];
    const logging = {
      ...context,
      log: (level: string, message: string) => void (level === 'warn' && warnings.push(message)),
    };
    for (const revision of ['0001-aaaaa', '0002-bbbbb'])
      await provider.apply(logging, desired(revision), { reason: 'deploy' });
    transport.failNext('remove', '0001-aaaaa', new BerthError('PROVIDER_UNAVAILABLE', 'engine busy'));
    const outcome = await provider.apply(logging, desired('0003-ccccc'), { reason: 'deploy' });
    expect(outcome.revision).toBe('0003-ccccc');
    expect((await provider.observe(context, target))?.revision).toBe('0003-ccccc');
    expect(warnings).toEqual([
      expect.stringMatching(/Could not prune old revisions of hello-dev: engine busy/),
    ]);
  });

  it('refuses to replace a container of the same name that Berth does not manage', async () => {
    const transport = fakeHostTransport([image]);
    await transport.createContainer({
      name: 'berth-hello-dev-0001-aaaaa',
      Image: image,
      Env: [],
      Labels: {},
      ExposedPorts: {},
      HostConfig: { PortBindings: {}, RestartPolicy: { Name: 'no' } },
    });
    await expect(
      providerOn(transport).apply(context, desired('0001-aaaaa'), { reason: 'deploy' }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_CONFLICT',
    });
  });
});

describe('hostProvider restoreRevision', () => {
  it('stops the failed revision and starts the recorded one', async () => {
    const transport = fakeHostTransport([image]);
    const provider = providerOn(transport);
    await provider.apply(context, desired('0001-aaaaa'), { reason: 'deploy' });
    await provider.apply(context, desired('0002-bbbbb'), { reason: 'deploy' });
    transport.calls.length = 0;
    const outcome = await provider.restoreRevision!(context, target, {
      revision: '0001-aaaaa',
      desired: desired('0001-aaaaa'),
    });
    expect(transport.calls).toEqual(['stop berth-hello-dev-0002-bbbbb', 'start berth-hello-dev-0001-aaaaa']);
    expect(outcome.revision).toBe('0001-aaaaa');
  });

  it('recreates a revision whose container was pruned', async () => {
    const transport = fakeHostTransport([image]);
    const provider = providerOn(transport);
    await provider.apply(context, desired('0002-bbbbb'), { reason: 'deploy' });
    transport.calls.length = 0;
    await provider.restoreRevision!(context, target, {
      revision: '0001-aaaaa',
      desired: desired('0001-aaaaa'),
    });
    expect(transport.calls).toEqual([
      'stop berth-hello-dev-0002-bbbbb',
      'create berth-hello-dev-0001-aaaaa',
      'start berth-hello-dev-0001-aaaaa',
    ]);
  });
});

describe('hostProvider options', () => {
  const spec = serviceSpecSchema.parse({ name: 'hello', image: { ref: image }, port: 3000 });

  it('predicts the URL from the bind address and host port', () => {
    expect(providerOn(fakeHostTransport()).predictUrl?.(target, spec)).toBe('http://127.0.0.1:3000');
    expect(
      providerOn(fakeHostTransport(), { hostPort: 9090, bindAddress: '0.0.0.0' }).predictUrl?.(target, spec),
    ).toBe('http://127.0.0.1:9090');
  });

  it('keeps images local without a registry', async () => {
    expect(await providerOn(fakeHostTransport()).imageTarget?.(context, target)).toBeUndefined();
  });

  it('rejects more than one instance', () => {
    expect(validateHostSpec({ ...spec, resources: { minInstances: 2 } })).toEqual([
      expect.objectContaining({ path: 'resources.minInstances' }),
    ]);
    expect(validateHostSpec({ ...spec, resources: { minInstances: 1 } })).toEqual([]);
  });
});
