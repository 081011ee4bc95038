import { describe, expect, it } from 'vitest';
import type { ObservedService } from '../provider/provider.js';
import type { CurrentState } from '../state/state-store.js';
import { type DesiredForPlan, planService, planToJson } from './plan-service.js';

const desired: DesiredForPlan = {
  service: 'app-dev',
  image: { ref: 'r/app@sha256:b', digest: 'sha256:b' },
  port: 8000,
  env: { LOG: 'info', URL: 'http://x' },
  secrets: { API_KEY: 'hmac-sha256:1111222233334444' },
  resources: { minInstances: 1 },
  public: true,
};

const observed: ObservedService = {
  service: 'app-dev',
  url: 'http://x',
  revision: '0001-aaaaa',
  image: { ref: 'r/app@sha256:a', digest: 'sha256:a' },
  port: 8000,
  env: { LOG: 'debug', OLD: '1', URL: 'http://x' },
  secrets: { API_KEY: { fingerprint: 'hmac-sha256:1111222233334444', ref: 's/1' } },
  resources: { minInstances: 1 },
  public: true,
  ready: true,
};

const current = (override: Partial<ObservedService> = {}): CurrentState => {
  const live = { ...observed, ...override };
  return {
    revision: live.revision!,
    image: { ref: live.image!.ref!, digest: live.image!.digest! },
    secretFingerprints: { API_KEY: 'hmac-sha256:1111222233334444' },
    verified: true,
    deployedAt: '2026-01-01T00:00:00.000Z',
    record: {
      revision: live.revision!,
      desired: {
        service: 'app-dev',
        name: 'app',
        environment: 'dev',
        revision: live.revision!,
        image: { ref: live.image!.ref!, digest: live.image!.digest! },
        port: live.port as number,
        env: live.env,
        secrets: { API_KEY: { fingerprint: 'hmac-sha256:1111222233334444' } },
        healthPath: '/h',
        resources: {},
        public: true,
      },
    },
  };
};

describe('planService', () => {
  it('plans a create with every field added when nothing is live', () => {
    const plan = planService({ desired, observed: undefined, current: undefined });
    expect(plan.action).toBe('create');
    expect(plan.changes.map((change) => change.path)).toEqual([
      'env.LOG',
      'env.URL',
      'image',
      'port',
      'public',
      'resources.minInstances',
      'secrets.API_KEY',
    ]);
    expect(plan.drift).toEqual([]);
  });

  it('compares the image by digest and env key by key', () => {
    const plan = planService({ desired, observed, current: current() });
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([
      { path: 'env.LOG', kind: 'change', before: 'debug', after: 'info' },
      { path: 'env.OLD', kind: 'remove', before: '1', after: null },
      { path: 'image', kind: 'change', before: 'sha256:a', after: 'sha256:b' },
    ]);
  });

  it('is a noop when the live service matches', () => {
    const live = { ...observed, image: desired.image, env: desired.env };
    expect(planService({ desired, observed: live, current: undefined })).toEqual({
      service: 'app-dev',
      action: 'noop',
      changes: [],
      drift: [],
    });
  });

  it('shows secrets masked, by fingerprint, never by value', () => {
    const changed = { ...desired, secrets: { API_KEY: 'hmac-sha256:9999888877776666' } };
    const plan = planService({ desired: changed, observed, current: current() });
    const secret = plan.changes.find((change) => change.path === 'secrets.API_KEY');
    expect(secret).toEqual({
      path: 'secrets.API_KEY',
      kind: 'change',
      before: '******(11112222)',
      after: '******(99998888)',
    });
    const generated = planService({
      desired: { ...desired, secrets: { API_KEY: undefined } },
      observed: undefined,
      current: undefined,
    });
    expect(generated.changes.find((change) => change.path === 'secrets.API_KEY')?.after).toBe('******(new)');
  });

  it('reports changes made outside Berth as drift', () => {
    const recorded = current({ env: { LOG: 'info', URL: 'http://x' } });
    const plan = planService({ desired, observed, current: recorded });
    expect(plan.drift).toEqual([
      { path: 'env.LOG', recorded: 'info', observed: 'debug' },
      { path: 'env.OLD', recorded: null, observed: '1' },
    ]);
    expect(planService({ desired, observed: undefined, current: recorded }).drift).toEqual([
      { path: 'service', recorded: '0001-aaaaa', observed: null },
    ]);
  });

  it('gives byte-identical JSON for the same inputs, whatever their key order', () => {
    const reordered: DesiredForPlan = { ...desired, env: { URL: 'http://x', LOG: 'info' } };
    const first = planToJson(planService({ desired, observed, current: current() }));
    const second = planToJson(
      planService({ desired: reordered, observed: { ...observed }, current: current() }),
    );
    expect(second).toBe(first);
  });
});
