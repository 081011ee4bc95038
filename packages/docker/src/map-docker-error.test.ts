import { describe, expect, it } from 'vitest';
import { buildFailedError, mapDockerError, pushFailedError, redactSecrets } from './map-docker-error.js';

describe('mapDockerError', () => {
  it.each(['ENOENT', 'ECONNREFUSED'])('maps %s on the socket to a retryable DOCKER_UNAVAILABLE', (code) => {
    const error = mapDockerError(
      Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code }),
      'build',
      'unix:///var/run/docker.sock',
    );
    expect([error.code, error.retryable]).toEqual(['DOCKER_UNAVAILABLE', true]);
    expect(error.hint).toContain('unix:///var/run/docker.sock');
  });

  it('explains a permission problem on the socket', () => {
    const error = mapDockerError(
      Object.assign(new Error('connect EACCES'), { code: 'EACCES' }),
      'ping',
      'unix:///var/run/docker.sock',
    );
    expect(error.hint).toMatch(/docker` group/);
  });

  it('redacts secrets from engine messages on push', () => {
    const engineError = Object.assign(new Error('(HTTP code 500) server error'), {
      statusCode: 500,
      json: { message: 'login with hunter2-secret failed: unauthorized' },
    });
    const error = mapDockerError(engineError, 'push', 'unix:///var/run/docker.sock', ['hunter2-secret']);
    expect(error.code).toBe('REGISTRY_AUTH_FAILED');
    expect(JSON.stringify(error)).not.toContain('hunter2-secret');
  });
});

describe('pushFailedError', () => {
  it.each([
    'unauthorized: authentication required',
    'denied: requested access to the resource is denied',
    'no basic auth credentials',
  ])('classifies "%s" as REGISTRY_AUTH_FAILED', (message) => {
    expect(pushFailedError(message).code).toBe('REGISTRY_AUTH_FAILED');
  });

  it('keeps other push failures as IMAGE_PUSH_FAILED, retryable on connection problems', () => {
    const error = pushFailedError(
      'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused',
    );
    expect([error.code, error.retryable]).toEqual(['IMAGE_PUSH_FAILED', true]);
  });
});

describe('buildFailedError', () => {
  it('gives a hint that matches the failure', () => {
    expect(
      buildFailedError(
        'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt',
        [],
      ).hint,
    ).toMatch(/\.dockerignore/);
    expect(buildFailedError("The command '/bin/sh -c false' returned a non-zero code: 1", []).hint).toMatch(
      /RUN step/,
    );
    expect(buildFailedError('pull access denied for nope, repository does not exist', []).hint).toMatch(
      /pull: true/,
    );
  });

  it('keeps the output in details', () => {
    expect(buildFailedError('boom', ['a', 'b']).details).toEqual({ error: 'boom', output: ['a', 'b'] });
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence', () => {
    expect(redactSecrets('p4ss and p4ss', ['p4ss'])).toBe('*** and ***');
  });
});

describe('mapDockerError for reads', () => {
  it('maps a 404 to IMAGE_NOT_FOUND and other refusals to IMAGE_BUILD_FAILED', () => {
    const notFound = Object.assign(new Error('(HTTP code 404) no such image'), {
      statusCode: 404,
      json: { message: 'No such image: x' },
    });
    expect(mapDockerError(notFound, 'inspect', 'unix:///var/run/docker.sock').code).toBe('IMAGE_NOT_FOUND');
    const failed = Object.assign(new Error('(HTTP code 500) server error'), {
      statusCode: 500,
      json: { message: 'disk full' },
    });
    const mapped = mapDockerError(failed, 'tag', 'unix:///var/run/docker.sock');
    expect([mapped.code, mapped.retryable]).toEqual(['IMAGE_BUILD_FAILED', true]);
    expect(mapped.message).toContain('disk full');
  });
});
