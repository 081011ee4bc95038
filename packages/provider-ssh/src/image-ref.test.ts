import { describe, expect, it } from 'vitest';
import { isImageId, registryHostOf } from './image-ref.js';

describe('registryHostOf', () => {
  it.each([
    ['127.0.0.1:5000/berth/hello-dev@sha256:' + 'a'.repeat(64), '127.0.0.1:5000'],
    ['localhost/app:1', 'localhost'],
    ['ghcr.io/acme/app:1', 'ghcr.io'],
    ['berth/health-service:test', 'docker.io'],
    ['busybox', 'docker.io'],
    ['sha256:' + 'a'.repeat(64), undefined],
  ])('%s is pulled from %s', (ref, host) => {
    expect(registryHostOf(ref)).toBe(host);
  });

  it('recognises local image IDs', () => {
    expect(isImageId('sha256:' + 'f'.repeat(64))).toBe(true);
    expect(isImageId('sha256:abc')).toBe(false);
  });
});
