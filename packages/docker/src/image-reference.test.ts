import { describe, expect, it } from 'vitest';
import {
  isDigestReference,
  localRepositoryName,
  parseImageReference,
  sameRegistry,
} from './image-reference.js';

describe('parseImageReference', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['berth/busybox:test', { registry: 'docker.io', repository: 'berth/busybox', tag: 'test' }],
    ['127.0.0.1:5000/team/app', { registry: '127.0.0.1:5000', repository: 'team/app' }],
    ['localhost/app:v1', { registry: 'localhost', repository: 'app', tag: 'v1' }],
    [
      'europe-west1-docker.pkg.dev/p/r/app:v1@sha256:abc',
      { registry: 'europe-west1-docker.pkg.dev', repository: 'p/r/app', tag: 'v1', digest: 'sha256:abc' },
    ],
  ])('parses %s', (reference, expected) => {
    expect(parseImageReference(reference)).toEqual(expected);
  });
});

describe('helpers', () => {
  it('recognises digest references', () => {
    expect(isDigestReference(`r/a@sha256:${'0'.repeat(64)}`)).toBe(true);
    expect(isDigestReference('r/a:sha256')).toBe(false);
  });

  it('treats Docker Hub spellings as one registry', () => {
    expect(sameRegistry('docker.io', 'index.docker.io')).toBe(true);
    expect(sameRegistry('127.0.0.1:5000', '127.0.0.1:5001')).toBe(false);
  });

  it('names local repositories after the service, in Docker’s allowed characters', () => {
    expect(localRepositoryName('Hello_Agent dev')).toBe('berth/hello_agent-dev');
  });
});
