import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { buildAppSpec, buildHealthCheck, imageSourceOf } from './build-app-spec.js';
import { instanceSizeFor } from './instance-sizes.js';

const desired = (extra: Partial<DesiredService> = {}): DesiredService => ({
  service: 'hello-dev',
  name: 'hello',
  environment: 'dev',
  revision: '0003-abcde',
  image: { ref: 'registry.digitalocean.com/acme/hello-dev@sha256:aa', digest: 'sha256:aa' },
  port: 8000,
  env: { ZETA: 'z', GREETING: 'hi' },
  secrets: { API_KEY: { ref: 'app-platform:env/API_KEY', fingerprint: 'hmac-sha256:one' } },
  healthPath: '/health',
  health: {
    path: '/health',
    port: 8000,
    intervalMs: 2_500,
    maxIntervalMs: 5_000,
    timeoutMs: 60_000,
    attemptTimeoutMs: 4_000,
    successThreshold: 2,
  },
  resources: {},
  public: true,
  ...extra,
});
const image = { registry_type: 'DOCR' as const, repository: 'hello-dev', digest: 'sha256:aa' };
const noValues = () => undefined;

describe('buildAppSpec', () => {
  it('maps the service to one component: image by digest, port, run-time envs sorted, health check, size', () => {
    const spec = buildAppSpec({ desired: desired(), region: 'fra', image, secretValue: () => 'plain' });
    expect(spec).toEqual({
      name: 'hello-dev',
      region: 'fra',
      services: [
        {
          name: 'hello',
          image,
          http_port: 8000,
          instance_size_slug: 'apps-s-1vcpu-0.5gb',
          instance_count: 1,
          health_check: {
            http_path: '/health',
            initial_delay_seconds: 0,
            period_seconds: 3,
            timeout_seconds: 4,
            success_threshold: 1,
            failure_threshold: 20,
          },
          envs: [
            { key: 'GREETING', value: 'hi', scope: 'RUN_TIME', type: 'GENERAL' },
            { key: 'ZETA', value: 'z', scope: 'RUN_TIME', type: 'GENERAL' },
            { key: 'API_KEY', value: 'plain', scope: 'RUN_TIME', type: 'SECRET' },
          ],
        },
      ],
      envs: [
        { key: 'BERTH_REVISION', value: '0003-abcde', scope: 'BUILD_TIME', type: 'GENERAL' },
        {
          key: 'BERTH_SECRET_FINGERPRINTS',
          value: '{"API_KEY":"hmac-sha256:one"}',
          scope: 'BUILD_TIME',
          type: 'GENERAL',
        },
      ],
    });
  });

  it('resubmits the live EV ciphertext while the fingerprint is unchanged, and plaintext when it changed', () => {
    const live = buildAppSpec({ desired: desired(), region: 'fra', image, secretValue: () => 'EV[1:n:c]' });
    const again = buildAppSpec({
      desired: desired(),
      region: 'fra',
      image,
      live: [live],
      secretValue: noValues,
    });
    expect(again).toEqual(live);
    const changed = desired({ secrets: { API_KEY: { fingerprint: 'hmac-sha256:two' } } });
    const rotated = buildAppSpec({
      desired: changed,
      region: 'fra',
      image,
      live: [live],
      secretValue: () => 'new',
    });
    expect(rotated.services?.[0]?.envs?.at(-1)).toEqual({
      key: 'API_KEY',
      value: 'new',
      scope: 'RUN_TIME',
      type: 'SECRET',
    });
  });

  it('refuses to send a changed secret whose value this run does not hold', () => {
    expect(() => buildAppSpec({ desired: desired(), region: 'fra', image, secretValue: noValues })).toThrow(
      expect.objectContaining({ code: 'SECRET_SOURCE_MISSING' }),
    );
  });

  it('sizes from resources and counts from minInstances', () => {
    const spec = buildAppSpec({
      desired: desired({ secrets: {}, resources: { cpu: 2, memory: '3Gi', minInstances: 3 } }),
      region: 'fra',
      image,
      secretValue: noValues,
    });
    expect(spec.services?.[0]).toMatchObject({ instance_size_slug: 'apps-s-2vcpu-4gb', instance_count: 3 });
    expect(spec.envs).toHaveLength(1);
  });
});

describe('instanceSizeFor', () => {
  it.each([
    [{}, 'apps-s-1vcpu-0.5gb'],
    [{ cpu: 0.5 }, 'apps-s-1vcpu-0.5gb'],
    [{ memory: '1Gi' }, 'apps-s-1vcpu-1gb'],
    [{ memory: '1500Mi' }, 'apps-s-1vcpu-2gb'],
    [{ cpu: 4, memory: '10Gi' }, 'apps-d-4vcpu-16gb'],
    [{ cpu: 8, memory: '32Gi' }, 'apps-d-8vcpu-32gb'],
    [{ cpu: 16 }, undefined],
  ])('%j → %s', (resources, slug) => {
    expect(instanceSizeFor(resources)).toBe(slug);
  });
});

describe('buildHealthCheck', () => {
  it('keeps App Platform in range: periods 1–300 s, failures 1–50, success threshold 1', () => {
    const health = { ...desired().health!, intervalMs: 100, timeoutMs: 600_000, attemptTimeoutMs: 500_000 };
    expect(buildHealthCheck(health, '/health')).toEqual({
      http_path: '/health',
      initial_delay_seconds: 0,
      period_seconds: 1,
      timeout_seconds: 120,
      success_threshold: 1,
      failure_threshold: 50,
    });
  });

  it('checks by TCP when the health path needs headers App Platform cannot send', () => {
    const health = { ...desired().health!, headers: { authorization: 'Bearer x' } };
    expect(buildHealthCheck(health, '/health').http_path).toBeUndefined();
  });
});

describe('imageSourceOf', () => {
  const docr = { hosts: ['127.0.0.1:5000', 'registry.digitalocean.com'], registry: 'acme' };
  it.each([
    [
      { ref: 'registry.digitalocean.com/acme/hello-dev@sha256:aa' },
      { registry_type: 'DOCR', repository: 'hello-dev', digest: 'sha256:aa' },
    ],
    [
      { ref: '127.0.0.1:5000/acme/hello-dev:v1', digest: 'sha256:bb' },
      { registry_type: 'DOCR', repository: 'hello-dev', digest: 'sha256:bb' },
    ],
    [
      { ref: 'nginx@sha256:cc' },
      { registry_type: 'DOCKER_HUB', registry: 'library', repository: 'nginx', digest: 'sha256:cc' },
    ],
    [
      { ref: 'ghcr.io/acme/api:1@sha256:dd' },
      { registry_type: 'GHCR', registry: 'acme', repository: 'api', digest: 'sha256:dd' },
    ],
  ])('%j', (ref, source) => {
    expect(imageSourceOf(ref, docr)).toEqual(source);
  });

  it('refuses a moving tag, another DOCR registry, and registries App Platform cannot pull from', () => {
    expect(() => imageSourceOf({ ref: 'registry.digitalocean.com/acme/hello:latest' }, docr)).toThrow(
      /digest/,
    );
    expect(() => imageSourceOf({ ref: 'registry.digitalocean.com/other/hello@sha256:aa' }, docr)).toThrow(
      /not in the registry acme/,
    );
    expect(() => imageSourceOf({ ref: 'quay.io/acme/hello@sha256:aa' }, docr)).toThrow(/cannot pull/);
  });
});
