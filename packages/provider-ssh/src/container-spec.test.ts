import type { DesiredService } from '@berth/core';
import { describe, expect, it } from 'vitest';
import {
  buildCreateBody,
  containerEnv,
  containerName,
  hostPortOf,
  nanoCpusOf,
  parseMemory,
  serviceUrl,
  urlHostOf,
} from './container-spec.js';

const desired: DesiredService = {
  service: 'hello-dev',
  name: 'hello',
  environment: 'dev',
  revision: '0003-a1b2c',
  image: {
    ref: '127.0.0.1:5000/berth/hello-dev@sha256:' + 'a'.repeat(64),
    digest: 'sha256:' + 'a'.repeat(64),
  },
  port: 8000,
  env: { LOG_LEVEL: 'debug' },
  secrets: { API_KEY: { ref: 'hello-dev/API_KEY.v1', fingerprint: 'hmac-sha256:00ff' } },
  healthPath: '/.well-known/health',
  resources: { cpu: 0.5, memory: '512Mi' },
  public: true,
};

describe('containerName', () => {
  it('names a revision container from service and revision', () => {
    expect(containerName('hello-dev', '0003-a1b2c')).toBe('berth-hello-dev-0003-a1b2c');
  });
});

describe('parseMemory', () => {
  it.each([
    ['512Mi', 536_870_912],
    ['1Mi', 1_048_576],
    ['1Gi', 1_073_741_824],
    ['2Gi', 2_147_483_648],
  ])('%s is %d bytes', (memory, bytes) => {
    expect(parseMemory(memory)).toBe(bytes);
  });

  it.each(['512', '512MB', '1.5Gi', 'Gi', ''])('rejects %j', (memory) => {
    expect(() => parseMemory(memory)).toThrow(/512Mi or 1Gi/);
  });
});

describe('nanoCpusOf', () => {
  it.each([
    [1, 1_000_000_000],
    [0.5, 500_000_000],
    [0.25, 250_000_000],
    [2, 2_000_000_000],
  ])('%d vCPU is %d NanoCpus', (cpu, nano) => {
    expect(nanoCpusOf(cpu)).toBe(nano);
  });
});

describe('service URL', () => {
  it.each([
    ['127.0.0.1', 8000, 'http://127.0.0.1:8000'],
    ['0.0.0.0', 8080, 'http://127.0.0.1:8080'],
    ['::', 8080, 'http://[::1]:8080'],
    ['::1', 9000, 'http://[::1]:9000'],
    ['192.168.1.10', 80, 'http://192.168.1.10:80'],
  ])('binding %s:%d is reached at %s', (bindAddress, port, url) => {
    expect(serviceUrl(bindAddress, port)).toBe(url);
  });

  it('reaches a wildcard bind on loopback', () => {
    expect(urlHostOf('')).toBe('127.0.0.1');
  });

  it('uses the hostPort option, else the container port', () => {
    expect(hostPortOf({ hostPort: 18080 }, 8000)).toBe(18080);
    expect(hostPortOf({}, 8000)).toBe(8000);
  });
});

describe('containerEnv', () => {
  it('adds PORT and BERTH_REVISION after the env and the secret values', () => {
    expect(containerEnv(desired, { API_KEY: 'k-123' })).toEqual([
      'LOG_LEVEL=debug',
      'API_KEY=k-123',
      'PORT=8000',
      'BERTH_REVISION=0003-a1b2c',
    ]);
  });

  it('keeps a PORT the service sets itself', () => {
    expect(containerEnv({ ...desired, env: { PORT: '9000' } }, {})).toEqual([
      'PORT=9000',
      'BERTH_REVISION=0003-a1b2c',
    ]);
  });

  it('keeps values with = and newlines intact', () => {
    expect(containerEnv({ ...desired, env: { A: 'x=y\nz' } }, {})[0]).toBe('A=x=y\nz');
  });
});

describe('buildCreateBody', () => {
  const settings = { bindAddress: '127.0.0.1', restartPolicy: 'unless-stopped' as const };

  it('publishes the container port on the bind address with limits and a restart policy', () => {
    const body = buildCreateBody({
      desired,
      secretValues: { API_KEY: 'k-123' },
      settings,
      labels: { a: 'b' },
    });
    expect(body).toEqual({
      name: 'berth-hello-dev-0003-a1b2c',
      Image: desired.image.ref,
      Env: ['LOG_LEVEL=debug', 'API_KEY=k-123', 'PORT=8000', 'BERTH_REVISION=0003-a1b2c'],
      Labels: { a: 'b' },
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: {
        PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000' }] },
        RestartPolicy: { Name: 'unless-stopped' },
        NanoCpus: 500_000_000,
        Memory: 536_870_912,
      },
    });
  });

  it('maps the hostPort option and leaves limits out when the spec sets none', () => {
    const body = buildCreateBody({
      desired: { ...desired, resources: {} },
      secretValues: {},
      settings: { ...settings, hostPort: 18080, bindAddress: '0.0.0.0', restartPolicy: 'always' },
      labels: {},
    });
    expect(body.HostConfig).toEqual({
      PortBindings: { '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '18080' }] },
      RestartPolicy: { Name: 'always' },
    });
  });
});
