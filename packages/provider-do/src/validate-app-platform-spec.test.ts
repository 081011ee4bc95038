import { validateSpec } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { isAppName } from './app-names.js';
import { validateAppPlatformSpec } from './validate-app-platform-spec.js';

const spec = (extra: Record<string, unknown> = {}) =>
  validateSpec({ name: 'hello', image: { ref: 'nginx@sha256:aa' }, ...extra });

describe('App Platform names', () => {
  it.each([
    ['ab', true],
    ['hello-production', true],
    ['a', false],
    ['1abc', false],
    ['abc-', false],
    ['Hello', false],
    ['a'.repeat(32), true],
    ['a'.repeat(33), false],
  ])('%s → %s', (name, valid) => {
    expect(isAppName(name)).toBe(valid);
  });
});

describe('validateAppPlatformSpec', () => {
  it('accepts a plain service', () => {
    expect(validateAppPlatformSpec(spec())).toEqual([]);
  });

  it('rejects an app name over 32 characters, naming the field with a hint', () => {
    const issues = validateAppPlatformSpec(
      spec({ name: 'a-very-long-service-name-indeed', environment: 'production' }),
    );
    expect(issues).toEqual([
      expect.objectContaining({ path: 'name', hint: expect.stringContaining('2–32 characters') }),
    ]);
  });

  it('rejects private services, sizes beyond App Platform, scale to zero and autoscaling settings', () => {
    const issues = validateAppPlatformSpec(
      spec({ public: false, resources: { cpu: 32, minInstances: 0, maxInstances: 3 } }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'public',
      'resources',
      'resources.minInstances',
      'resources.maxInstances',
    ]);
  });
});
