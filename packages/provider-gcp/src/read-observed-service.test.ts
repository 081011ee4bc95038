import type { protos } from '@google-cloud/run';
import { describe, expect, it } from 'vitest';
import { readObservedService, readRevisions, servingTraffic } from './read-observed-service.js';

type IService = protos.google.cloud.run.v2.IService;
type IRevision = protos.google.cloud.run.v2.IRevision;

const name = 'projects/p/locations/europe-west1/services/hello-dev';
const service: IService = {
  name,
  uri: 'https://hello-dev-abc-ew.a.run.app',
  latestReadyRevision: `${name}/revisions/hello-dev-0002-bbbbb`,
  reconciling: false,
  terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
  trafficStatuses: [
    { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'hello-dev-0001-aaaaa', percent: 100 },
    {
      type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
      revision: 'hello-dev-0002-bbbbb',
      percent: 0,
      tag: 'candidate',
      uri: 'https://candidate---x',
    },
  ],
};
const revision: IRevision = {
  name: `${name}/revisions/hello-dev-0001-aaaaa`,
  annotations: { 'berth.dev/secret-fingerprints': '{"API_KEY":"hmac-sha256:ff"}' },
  maxInstanceRequestConcurrency: 80,
  scaling: { minInstanceCount: 1, maxInstanceCount: 100 },
  containers: [
    {
      image: 'reg/p/berth/hello-dev@sha256:1234',
      ports: [{ containerPort: 8000 }],
      env: [
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'API_KEY', valueSource: { secretKeyRef: { secret: 'hello-dev--API_KEY', version: '3' } } },
      ],
      resources: { limits: { cpu: '1000m', memory: '512Mi' } },
    },
  ],
  conditions: [{ type: 'Ready', state: 'CONDITION_SUCCEEDED' }],
  createTime: { seconds: 1_700_000_000 },
};

describe('readObservedService', () => {
  const observed = readObservedService({
    serviceId: 'hello-dev',
    service,
    revision,
    policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] },
  });

  it('reports the serving revision as a Berth revision id, with its configuration', () => {
    expect(observed.revision).toBe('0001-aaaaa');
    expect(observed.image).toEqual({ ref: 'reg/p/berth/hello-dev@sha256:1234', digest: 'sha256:1234' });
    expect(observed.port).toBe(8000);
    expect(observed.env).toEqual({ LOG_LEVEL: 'info' });
    expect(observed.resources).toEqual({
      cpu: 1,
      memory: '512Mi',
      minInstances: 1,
      maxInstances: 100,
      concurrency: 80,
    });
  });

  it('reports secrets by reference and recorded fingerprint, never values', () => {
    expect(observed.secrets).toEqual({
      API_KEY: { ref: 'projects/p/secrets/hello-dev--API_KEY/versions/3', fingerprint: 'hmac-sha256:ff' },
    });
  });

  it('reports URL, traffic, readiness and public invocation', () => {
    expect(observed.url).toBe(service.uri);
    expect(observed.public).toBe(true);
    expect(observed.ready).toBe(true);
    expect(observed.traffic).toEqual([
      { revision: '0001-aaaaa', percent: 100 },
      { revision: '0002-bbbbb', percent: 0, tag: 'candidate' },
    ]);
  });

  it('is not public without an allUsers invoker, and not ready while reconciling', () => {
    const other = readObservedService({
      serviceId: 'hello-dev',
      service: { ...service, reconciling: true },
      revision,
      policy: {},
    });
    expect(other.public).toBe(false);
    expect(other.ready).toBe(false);
  });
});

describe('servingTraffic', () => {
  it('resolves a LATEST target to the latest ready revision', () => {
    expect(
      servingTraffic(
        { ...service, trafficStatuses: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }] },
        'hello-dev',
      ),
    ).toEqual([{ revision: '0002-bbbbb', percent: 100 }]);
  });
});

describe('readRevisions', () => {
  it('lists revisions with their traffic and status', () => {
    const failed: IRevision = {
      name: `${name}/revisions/hello-dev-0003-ccccc`,
      conditions: [{ type: 'Ready', state: 'CONDITION_FAILED' }],
    };
    expect(readRevisions('hello-dev', service, [revision, failed])).toEqual([
      {
        revision: '0001-aaaaa',
        image: { ref: 'reg/p/berth/hello-dev@sha256:1234', digest: 'sha256:1234' },
        createdAt: new Date(1_700_000_000_000).toISOString(),
        traffic: 100,
        status: 'running',
      },
      { revision: '0003-ccccc', traffic: 0, status: 'failed' },
    ]);
  });
});
