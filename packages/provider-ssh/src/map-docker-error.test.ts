import { BerthError } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { mapDockerError } from './map-docker-error.js';

function engineError(statusCode: number, message: string) {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), {
    statusCode,
    json: { message },
  });
}

describe('mapDockerError', () => {
  it.each([
    [
      'an unreachable socket',
      Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }),
      'ping',
      'DOCKER_UNAVAILABLE',
    ],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'list-containers',
      'DOCKER_UNAVAILABLE',
    ],
    [
      'a missing image on create',
      engineError(404, 'No such image: x:1'),
      'create-container',
      'IMAGE_NOT_FOUND',
    ],
    [
      'a pull without credentials',
      engineError(500, 'Head "http://127.0.0.1:5000/v2/x/manifests/1": no basic auth credentials'),
      'pull-image',
      'REGISTRY_AUTH_FAILED',
    ],
    [
      'a refused login',
      engineError(401, 'unauthorized: authentication required'),
      'pull-image',
      'REGISTRY_AUTH_FAILED',
    ],
    ['an unknown manifest', engineError(404, 'manifest unknown'), 'pull-image', 'IMAGE_NOT_FOUND'],
    [
      'a name conflict',
      engineError(409, 'Conflict. The container name "/x" is already in use'),
      'create-container',
      'PROVIDER_CONFLICT',
    ],
    [
      'a taken port',
      engineError(
        500,
        'driver failed programming external connectivity: Bind for 127.0.0.1:8000 failed: port is already allocated',
      ),
      'start-container',
      'PROVIDER_CONFLICT',
    ],
    [
      'a missing container',
      engineError(404, 'No such container: x'),
      'inspect-container',
      'PROVIDER_NOT_FOUND',
    ],
    ['an engine failure', engineError(500, 'something broke'), 'start-container', 'PROVIDER_REQUEST_FAILED'],
  ] as const)('maps %s', (_what, error, operation, code) => {
    const mapped = mapDockerError(error, operation, 'subject');
    expect(BerthError.isInstance(mapped)).toBe(true);
    expect(mapped.code).toBe(code);
    expect(mapped.cause).toBe(error);
  });

  it('tells the user what to do about a taken port', () => {
    const mapped = mapDockerError(
      engineError(500, 'Bind for 127.0.0.1:8000 failed: port is already allocated'),
      'start-container',
    );
    expect(mapped.hint).toMatch(/hostPort/);
    expect(mapped.message).toBe(
      'Docker start-container failed: Bind for 127.0.0.1:8000 failed: port is already allocated',
    );
  });

  it('passes a BerthError through', () => {
    const error = new BerthError('IMAGE_NOT_FOUND', 'x');
    expect(mapDockerError(error, 'pull-image')).toBe(error);
  });
});
