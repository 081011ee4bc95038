import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { buildLabels, LABELS, parseLabels, serviceSelector } from './container-labels.js';

const desired: DesiredService = {
  service: 'hello-dev',
  name: 'hello',
  environment: 'dev',
  revision: '0003-a1b2c',
  image: { ref: 'sha256:' + 'b'.repeat(64), digest: 'sha256:' + 'b'.repeat(64) },
  port: 8000,
  env: { ZED: 'z', ALPHA: 'a' },
  secrets: {
    API_KEY: { ref: 'hello-dev/API_KEY.v2', fingerprint: 'hmac-sha256:0011', value: 'super-secret-value' },
    DB_URL: { fingerprint: 'hmac-sha256:2233' },
  },
  healthPath: '/.well-known/health',
  resources: { cpu: 1, memory: '1Gi', maxInstances: 1 },
  public: false,
};

describe('buildLabels', () => {
  const labels = buildLabels(desired, { hostPort: 18000, bindAddress: '127.0.0.1' });

  it('marks the container as Berth’s, with service, environment, revision and image', () => {
    expect(labels).toMatchObject({
      'dev.berth.managed-by': 'berth',
      'dev.berth.service': 'hello-dev',
      'dev.berth.name': 'hello',
      'dev.berth.environment': 'dev',
      'dev.berth.revision': '0003-a1b2c',
      'dev.berth.image-ref': desired.image.ref,
      'dev.berth.image-digest': desired.image.digest,
      'dev.berth.port': '8000',
      'dev.berth.host-port': '18000',
      'dev.berth.env-keys': 'ALPHA,ZED',
      'dev.berth.public': 'false',
    });
  });

  it('records secret references and fingerprints, never values', () => {
    expect(JSON.parse(labels[LABELS.secrets] ?? '')).toEqual({
      API_KEY: { ref: 'hello-dev/API_KEY.v2', fingerprint: 'hmac-sha256:0011' },
      DB_URL: { fingerprint: 'hmac-sha256:2233' },
    });
    expect(JSON.stringify(labels)).not.toContain('super-secret-value');
  });

  it('leaves the digest label out when the image has no digest', () => {
    const plain = buildLabels(
      { ...desired, image: { ref: 'berth/health-service:test' } },
      { hostPort: 8000, bindAddress: '127.0.0.1' },
    );
    expect(plain).not.toHaveProperty(LABELS.imageDigest);
    expect(parseLabels(plain)?.image).toEqual({ ref: 'berth/health-service:test' });
  });
});

describe('parseLabels', () => {
  it('reads back what buildLabels wrote', () => {
    const parsed = parseLabels(buildLabels(desired, { hostPort: 18000, bindAddress: '0.0.0.0' }));
    expect(parsed).toEqual({
      service: 'hello-dev',
      name: 'hello',
      environment: 'dev',
      revision: '0003-a1b2c',
      image: desired.image,
      port: 8000,
      hostPort: 18000,
      bindAddress: '0.0.0.0',
      envKeys: ['ALPHA', 'ZED'],
      secrets: {
        API_KEY: { ref: 'hello-dev/API_KEY.v2', fingerprint: 'hmac-sha256:0011' },
        DB_URL: { fingerprint: 'hmac-sha256:2233' },
      },
      resources: { cpu: 1, memory: '1Gi', maxInstances: 1 },
      public: false,
      healthPath: '/.well-known/health',
    });
  });

  it('reads a service without env or secrets', () => {
    const parsed = parseLabels(
      buildLabels({ ...desired, env: {}, secrets: {} }, { hostPort: 8000, bindAddress: '127.0.0.1' }),
    );
    expect(parsed?.envKeys).toEqual([]);
    expect(parsed?.secrets).toEqual({});
  });

  it.each([
    ['a container Berth did not create', { 'com.example': 'x' }],
    [
      'another manager',
      { ...buildLabels(desired, { hostPort: 1, bindAddress: '' }), 'dev.berth.managed-by': 'someone' },
    ],
    [
      'a missing revision',
      {
        'dev.berth.managed-by': 'berth',
        'dev.berth.service': 's',
        'dev.berth.image-ref': 'i',
        'dev.berth.port': '1',
      },
    ],
    ['a bad port', { ...buildLabels(desired, { hostPort: 1, bindAddress: '' }), 'dev.berth.port': 'eighty' }],
  ])('ignores %s', (_what, labels) => {
    expect(parseLabels(labels)).toBeUndefined();
  });

  it('survives malformed JSON labels', () => {
    const labels = {
      ...buildLabels(desired, { hostPort: 1, bindAddress: '' }),
      [LABELS.secrets]: '{',
      [LABELS.resources]: '[]',
    };
    expect(parseLabels(labels)).toMatchObject({ secrets: {}, resources: {} });
  });
});

describe('serviceSelector', () => {
  it('selects the managed containers of one service', () => {
    expect(serviceSelector('hello-dev')).toEqual({
      'dev.berth.managed-by': 'berth',
      'dev.berth.service': 'hello-dev',
    });
  });
});
