import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProviderContext, SecretMaterial } from '@berth/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { temporaryFolder } from '../test/docker-test-kit.js';
import { type LocalSecretStore, localSecretStore, parseSecretRef, secretRef } from './local-secret-store.js';

const context: ProviderContext = {
  signal: new AbortController().signal,
  clock: { now: () => Date.UTC(2025, 0, 1), sleep: async () => {} },
  progress: () => {},
  log: () => {},
};
const target = { service: 'hello-dev', name: 'hello', environment: 'dev' };
const material = (key: string, value: string, fingerprint: string, generated = false): SecretMaterial => ({
  key,
  value,
  fingerprint,
  generated,
});

describe('localSecretStore', () => {
  let folder: Awaited<ReturnType<typeof temporaryFolder>>;
  let store: LocalSecretStore;
  beforeEach(async () => {
    folder = await temporaryFolder('berth-secret-store');
    store = localSecretStore({ directory: join(folder.path, 'secrets'), keepVersions: 2 });
  });
  afterEach(() => folder.remove());

  it('stores each value in a 0600 file of a 0700 folder and binds it by reference', async () => {
    const bindings = await store.upsert(context, target, [
      material('API_KEY', 'value-one', 'hmac-sha256:01', true),
    ]);
    expect(bindings).toEqual({ API_KEY: { ref: 'hello-dev/API_KEY.v1', fingerprint: 'hmac-sha256:01' } });
    const directory = store.directoryOf('hello-dev');
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect((await stat(join(directory, 'API_KEY.v1'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(directory, 'API_KEY.v1'), 'utf8')).toBe('value-one');
    expect((await readdir(directory)).sort()).toEqual(['API_KEY.v1', 'manifest.json']);
  });

  it('marks what it owns in a manifest that holds fingerprints, never values', async () => {
    await store.upsert(context, target, [material('API_KEY', 'value-one', 'hmac-sha256:01', true)]);
    const manifest = await readFile(join(store.directoryOf('hello-dev'), 'manifest.json'), 'utf8');
    expect(JSON.parse(manifest)).toMatchObject({ managedBy: 'berth', service: 'hello-dev' });
    expect(manifest).toContain('hmac-sha256:01');
    expect(manifest).not.toContain('value-one');
  });

  it('reads back the current value, so generated secrets stay stable', async () => {
    expect(await store.read!(context, target, 'API_KEY')).toBeUndefined();
    await store.upsert(context, target, [material('API_KEY', 'value-one', 'hmac-sha256:01', true)]);
    expect(await store.read!(context, target, 'API_KEY')).toBe('value-one');
  });

  it('adds a version on change, reuses one for a known fingerprint, and keeps a bounded number', async () => {
    await store.upsert(context, target, [material('TOKEN', 'one', 'hmac-sha256:01')]);
    const two = await store.upsert(context, target, [material('TOKEN', 'two', 'hmac-sha256:02')]);
    expect(two.TOKEN?.ref).toBe('hello-dev/TOKEN.v2');
    const back = await store.upsert(context, target, [material('TOKEN', 'one', 'hmac-sha256:01')]);
    expect(back.TOKEN?.ref).toBe('hello-dev/TOKEN.v1');
    await store.upsert(context, target, [material('TOKEN', 'three', 'hmac-sha256:03')]);
    expect((await readdir(store.directoryOf('hello-dev'))).sort()).toEqual([
      'TOKEN.v1',
      'TOKEN.v3',
      'manifest.json',
    ]);
    expect(await store.read!(context, target, 'TOKEN')).toBe('three');
  });

  it('resolves bindings of any kept version, for restarting an older revision', async () => {
    const one = await store.upsert(context, target, [material('TOKEN', 'one', 'hmac-sha256:01')]);
    await store.upsert(context, target, [material('TOKEN', 'two', 'hmac-sha256:02')]);
    expect(await store.resolve(target, one)).toEqual({ TOKEN: 'one' });
  });

  it('refuses references outside the service’s store', async () => {
    await expect(
      store.resolve(target, { TOKEN: { ref: 'other-dev/TOKEN.v1', fingerprint: 'x' } }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_NOT_FOUND',
    });
    await expect(
      store.resolve(target, { TOKEN: { ref: '../../etc/passwd', fingerprint: 'x' } }),
    ).rejects.toMatchObject({
      code: 'PROVIDER_NOT_FOUND',
    });
    await expect(store.resolve(target, { TOKEN: { fingerprint: 'x' } })).rejects.toMatchObject({
      code: 'PROVIDER_NOT_FOUND',
    });
  });

  it('lists owned secrets and deletes them, removing the folder when empty', async () => {
    await store.upsert(context, target, [
      material('B', 'b-value', 'hmac-sha256:0b'),
      material('A', 'a-value', 'hmac-sha256:0a'),
    ]);
    expect(await store.list(context, target)).toEqual([
      { key: 'A', ref: 'hello-dev/A.v1', fingerprint: 'hmac-sha256:0a' },
      { key: 'B', ref: 'hello-dev/B.v1', fingerprint: 'hmac-sha256:0b' },
    ]);
    await store.delete(context, target, ['A']);
    expect((await store.list(context, target)).map((secret) => secret.key)).toEqual(['B']);
    await store.delete(context, target, ['B']);
    expect(await store.list(context, target)).toEqual([]);
    await expect(stat(store.directoryOf('hello-dev'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects a folder whose manifest is not Berth’s', async () => {
    await store.upsert(context, target, [material('A', 'a-value', 'hmac-sha256:0a')]);
    await writeFile(join(store.directoryOf('hello-dev'), 'manifest.json'), '{"managedBy":"someone"}');
    await expect(store.list(context, target)).rejects.toMatchObject({ code: 'PROVIDER_REQUEST_FAILED' });
  });
});

describe('secret references', () => {
  it('round-trips', () => {
    expect(parseSecretRef(secretRef('hello-dev', 'API_KEY', 3))).toEqual({
      service: 'hello-dev',
      key: 'API_KEY',
      version: 3,
    });
  });

  it.each([
    'hello-dev/API_KEY',
    '/etc/passwd',
    'hello-dev/../x.v1',
    'hello-dev/API-KEY.v1',
  ])('rejects %s', (ref) => {
    expect(parseSecretRef(ref)).toBeUndefined();
  });
});
