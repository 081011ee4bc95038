import { createRequire } from 'node:module';
import { createTestContext } from '@berth/core/testing';
import { expect, it } from 'vitest';

const requireHere = createRequire(import.meta.url);
/** Modules of dots-wrapper (and its axios) that this test process has loaded so far. */
const sdkModulesLoaded = () =>
  Object.keys(requireHere.cache).filter((path) => /[\\/](dots-wrapper|axios)[\\/]/.test(path));

it('loads dots-wrapper only when the provider first calls the API', async () => {
  expect(sdkModulesLoaded()).toEqual([]);
  const { appPlatform } = await import('./index.js');
  const provider = appPlatform({
    token: 'dop_v1_test',
    endpoint: 'http://127.0.0.1:9/v2',
    region: 'fra',
    registry: { name: 'acme' },
    retry: { attempts: 1 },
  });
  expect(provider.name).toBe('do-app-platform');
  expect(sdkModulesLoaded()).toEqual([]);
  await expect(
    provider.observe(createTestContext(), { service: 'hello-dev', name: 'hello', environment: 'dev' }),
  ).rejects.toMatchObject({
    code: 'PROVIDER_UNAVAILABLE',
  });
  expect(sdkModulesLoaded().length).toBeGreaterThan(0);
});

it('refuses bad options before any I/O, naming the option', async () => {
  const { appPlatform } = await import('./index.js');
  expect(() =>
    appPlatform({
      token: 't',
      endpoint: 'https://api.digitalocean.com',
      region: 'xyz' as never,
      registry: { name: 'Acme' },
    }),
  ).toThrow(expect.objectContaining({ code: 'SPEC_INVALID' }));
});
