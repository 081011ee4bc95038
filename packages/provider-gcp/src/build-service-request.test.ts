import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { allTrafficTo, buildEnv, buildService, buildTraffic } from './build-service-request.js';

const desired: DesiredService = {
  service: 'hello-dev',
  name: 'hello',
  environment: 'dev',
  revision: '0002-abcde',
  image: { ref: 'europe-west1-docker.pkg.dev/p/berth/hello-dev@sha256:1234', digest: 'sha256:1234' },
  port: 8000,
  env: { LOG_LEVEL: 'info', APP: 'x' },
  secrets: {
    API_KEY: { ref: 'projects/p/secrets/hello-dev--API_KEY/versions/3', fingerprint: 'hmac-sha256:ff' },
  },
  healthPath: '/.well-known/health',
  resources: { cpu: 0.5, memory: '512Mi', maxInstances: 3, concurrency: 1 },
  public: true,
};

const settings = { project: 'p', minInstances: 1, labels: { team: 'agents' }, traffic: [] };

describe('buildService', () => {
  it('names the revision deterministically after the service and Berth revision', () => {
    expect(buildService(desired, settings).template?.revision).toBe('hello-dev-0002-abcde');
  });

  it('pins secrets to the version of their binding and never carries values', () => {
    const env = buildEnv(desired);
    expect(env).toEqual([
      { name: 'API_KEY', valueSource: { secretKeyRef: { secret: 'hello-dev--API_KEY', version: '3' } } },
      { name: 'APP', value: 'x' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
  });

  it.each([
    [{}, { minInstanceCount: 1 }],
    [{ minInstances: 0 }, { minInstanceCount: 0 }],
    [
      { minInstances: 2, maxInstances: 5 },
      { minInstanceCount: 2, maxInstanceCount: 5 },
    ],
  ])('scaling for resources %j is %j', (resources, scaling) => {
    expect(buildService({ ...desired, resources }, settings).template?.scaling).toEqual(scaling);
  });

  it.each([
    [1, '1'],
    [2, '2'],
    [0.5, '500m'],
  ])('cpu %d is the limit %s', (cpu, limit) => {
    expect(
      buildService({ ...desired, resources: { cpu } }, settings).template?.containers?.[0]?.resources?.limits
        ?.cpu,
    ).toBe(limit);
  });

  it('carries port, image, concurrency, labels and the secret fingerprints annotation', () => {
    const service = buildService(desired, settings);
    const container = service.template?.containers?.[0];
    expect(container?.image).toBe(desired.image.ref);
    expect(container?.ports).toEqual([{ name: 'http1', containerPort: 8000 }]);
    expect(service.template?.maxInstanceRequestConcurrency).toBe(1);
    expect(service.labels).toEqual({ team: 'agents', 'managed-by': 'berth', 'berth-service': 'hello-dev' });
    expect(JSON.parse(service.template?.annotations?.['berth.dev/secret-fingerprints'] ?? '')).toEqual({
      API_KEY: 'hmac-sha256:ff',
    });
  });
});

describe('buildTraffic', () => {
  const base = { service: 'hello-dev', newRevision: '0003-ccccc', candidateTag: 'candidate' };
  const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

  it('verify-before-traffic keeps what serves pinned by name and gives the new revision 0% and a tag', () => {
    expect(
      buildTraffic({
        ...base,
        strategy: 'verify-before-traffic',
        serving: [{ revision: '0002-bbbbb', percent: 100 }],
      }),
    ).toEqual([
      { type: REVISION, revision: 'hello-dev-0002-bbbbb', percent: 100 },
      { type: REVISION, revision: 'hello-dev-0003-ccccc', percent: 0, tag: 'candidate' },
    ]);
  });

  it('keeps a split as it is and drops zero-percent targets (an earlier candidate tag)', () => {
    expect(
      buildTraffic({
        ...base,
        strategy: 'verify-before-traffic',
        serving: [
          { revision: '0001-aaaaa', percent: 20 },
          { revision: '0002-bbbbb', percent: 80 },
          { revision: '0002-zzzzz', percent: 0, tag: 'candidate' },
        ],
      }).map((target) => `${target.revision}:${target.percent}:${target.tag ?? ''}`),
    ).toEqual(['hello-dev-0001-aaaaa:20:', 'hello-dev-0002-bbbbb:80:', 'hello-dev-0003-ccccc:0:candidate']);
  });

  it.each([
    ['direct', [{ revision: '0002-bbbbb', percent: 100 }]],
    ['verify-before-traffic', []],
  ] as const)('%s with serving %j sends all traffic to the new revision', (strategy, serving) => {
    expect(buildTraffic({ ...base, strategy, serving: [...serving] })).toEqual([
      { type: REVISION, revision: 'hello-dev-0003-ccccc', percent: 100 },
    ]);
  });

  it('allTrafficTo routes 100% to one revision by name', () => {
    expect(allTrafficTo('hello-dev', '0001-aaaaa')).toEqual([
      { type: REVISION, revision: 'hello-dev-0001-aaaaa', percent: 100 },
    ]);
  });
});
