import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import {
  memoryBytes,
  observedOf,
  parseRevisionRecord,
  type SystemdRevisionRecord,
  serviceEnvironment,
  withoutSecretValues,
} from './systemd-records.js';
import { releaseIdOf } from './systemd-release-builder.js';
import { parseUnitStatus } from './systemd-units.js';

const desired: DesiredService = {
  service: 'api-dev',
  name: 'api',
  environment: 'dev',
  revision: '2-abc',
  image: { ref: 'release:r-0123456789abcdef', digest: 'sha256:00' },
  port: 8080,
  env: { LOG: 'debug', TOKEN: 'plain value loses' },
  secrets: { TOKEN: { ref: 'api-dev/TOKEN.v1', fingerprint: 'hmac-sha256:aa', value: 's3cret' } },
  healthPath: '/.well-known/health',
  resources: { memory: '512Mi' },
  public: true,
};

describe('serviceEnvironment', () => {
  it('puts secrets in the secret part, adds PORT and BERTH_REVISION to the plain part', () => {
    expect(serviceEnvironment(desired, { TOKEN: 's3cret' })).toEqual({
      plain: { LOG: 'debug', PORT: '8080', BERTH_REVISION: '2-abc' },
      secret: { TOKEN: 's3cret' },
    });
  });

  it('keeps a PORT the service sets itself', () => {
    expect(serviceEnvironment({ ...desired, env: { PORT: '9000' } }, {}).plain.PORT).toBe('9000');
  });
});

describe('revision records', () => {
  const record: SystemdRevisionRecord = {
    version: 1,
    revision: '2-abc',
    releaseId: 'r-0123456789abcdef',
    createdAt: '2025-01-01T00:00:00.000Z',
    url: 'http://127.0.0.1:8080',
    desired: withoutSecretValues(desired),
  };

  it('never hold a secret value', () => {
    expect(JSON.stringify(record)).not.toContain('s3cret');
    expect(record.desired.secrets.TOKEN).toEqual({ ref: 'api-dev/TOKEN.v1', fingerprint: 'hmac-sha256:aa' });
  });

  it('parse back, and anything else is no record', () => {
    expect(parseRevisionRecord(JSON.stringify(record))).toEqual(record);
    expect(parseRevisionRecord(undefined)).toBeUndefined();
    expect(parseRevisionRecord('{"version":2}')).toBeUndefined();
    expect(parseRevisionRecord('not json')).toBeUndefined();
  });

  it('become the observed service, ready when the unit is active', () => {
    const observed = observedOf(record, parseUnitStatus('ActiveState=active\nSubState=running'));
    expect(observed).toMatchObject({
      service: 'api-dev',
      revision: '2-abc',
      url: 'http://127.0.0.1:8080',
      image: { ref: 'release:r-0123456789abcdef', digest: 'sha256:00' },
      port: 8080,
      secrets: { TOKEN: { fingerprint: 'hmac-sha256:aa' } },
      ready: true,
    });
    expect(observedOf(record, parseUnitStatus('ActiveState=failed')).ready).toBe(false);
  });
});

describe('small helpers', () => {
  it('reads release references', () => {
    expect(releaseIdOf('release:r-abc')).toBe('r-abc');
    expect(releaseIdOf('registry/repo@sha256:abc')).toBeUndefined();
  });

  it('converts memory sizes', () => {
    expect(memoryBytes('512Mi')).toBe(536870912);
    expect(memoryBytes('1Gi')).toBe(1073741824);
    expect(memoryBytes(undefined)).toBeUndefined();
  });
});
