import { describe, expect, it } from 'vitest';
import { findSpecProblem } from './validate-app-spec.js';

const service = {
  name: 'web',
  image: { registry_type: 'DOCR', repository: 'hello', digest: `sha256:${'a'.repeat(64)}` },
  http_port: 8080,
};

describe('findSpecProblem', () => {
  it.each([
    ['a valid spec', { name: 'ok', services: [service] }, undefined],
    ['no spec', undefined, 'spec'],
    ['a 1-character name', { name: 'a', services: [service] }, 'name'],
    ['a 32-character name', { name: `a${'b'.repeat(31)}`, services: [service] }, undefined],
    ['a 33-character name', { name: `a${'b'.repeat(32)}`, services: [service] }, 'name'],
    ['a name ending in -', { name: 'app-', services: [service] }, 'name'],
    ['a name starting with a digit', { name: '1app', services: [service] }, 'name'],
    ['no component', { name: 'ok' }, 'services'],
    ['a worker', { name: 'ok', services: [service], workers: [{ name: 'w' }] }, 'workers'],
    ['two components of one name', { name: 'ok', services: [service, service] }, 'services[1].name'],
    ['no source', { name: 'ok', services: [{ name: 'web' }] }, 'services[0]'],
    [
      'a git source',
      { name: 'ok', services: [{ name: 'web', git: { repo_clone_url: 'x' } }] },
      'services[0].git',
    ],
    ['two sources', { name: 'ok', services: [{ ...service, git: {} }] }, 'services[0].git'],
    [
      'a DOCR registry',
      { name: 'ok', services: [{ ...service, image: { ...service.image, registry: 'x' } }] },
      'services[0].image.registry',
    ],
    [
      'a Docker Hub image without registry',
      { name: 'ok', services: [{ ...service, image: { registry_type: 'DOCKER_HUB', repository: 'nginx' } }] },
      'services[0].image.registry',
    ],
    [
      'a short digest',
      { name: 'ok', services: [{ ...service, image: { ...service.image, digest: 'sha256:12' } }] },
      'services[0].image.digest',
    ],
    [
      'deploy_on_push with a digest',
      {
        name: 'ok',
        services: [{ ...service, image: { ...service.image, deploy_on_push: { enabled: true } } }],
      },
      'services[0].image.deploy_on_push',
    ],
    ['port 0', { name: 'ok', services: [{ ...service, http_port: 0 }] }, 'services[0].http_port'],
    [
      'instance_count 0',
      { name: 'ok', services: [{ ...service, instance_count: 0 }] },
      'services[0].instance_count',
    ],
    [
      'a deprecated size',
      { name: 'ok', services: [{ ...service, instance_size_slug: 'basic-xxs' }] },
      undefined,
    ],
    [
      'a relative health path',
      { name: 'ok', services: [{ ...service, health_check: { http_path: 'health' } }] },
      'services[0].health_check.http_path',
    ],
    [
      'period 301',
      { name: 'ok', services: [{ ...service, health_check: { period_seconds: 301 } }] },
      'services[0].health_check.period_seconds',
    ],
    [
      'timeout 0',
      { name: 'ok', services: [{ ...service, health_check: { timeout_seconds: 0 } }] },
      'services[0].health_check.timeout_seconds',
    ],
    [
      'delay 3601',
      { name: 'ok', services: [{ ...service, health_check: { initial_delay_seconds: 3601 } }] },
      'services[0].health_check.initial_delay_seconds',
    ],
    [
      'a duplicate env key',
      { name: 'ok', services: [{ ...service, envs: [{ key: 'A' }, { key: 'A' }] }] },
      'services[0].envs[1].key',
    ],
    [
      'an env type',
      { name: 'ok', services: [{ ...service, envs: [{ key: 'A', type: 'HIDDEN' }] }] },
      'services[0].envs[0].type',
    ],
    ['an app env key', { name: 'ok', envs: [{ key: 'A-B' }], services: [service] }, 'envs[0].key'],
  ])('%s', (_, spec, field) => {
    expect(findSpecProblem(spec)?.[0]).toBe(field);
  });
});
