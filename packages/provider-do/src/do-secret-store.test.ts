import type { JsonValue } from '@berth/core';
import { createTestContext } from '@berth/core/testing';
import { describe, expect, it } from 'vitest';
import { doSecretStore } from './do-target-store.js';
import type { RegistryDocuments } from './registry-documents.js';

/** Documents in memory, as a registry keeps them. */
function memoryDocuments(): RegistryDocuments & { stored: Map<string, string> } {
  const stored = new Map<string, string>();
  return {
    stored,
    read: async (_context, repository, tag) => {
      const text = stored.get(`${repository}:${tag}`);
      return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
    },
    write: async (_context, repository, tag, value) => {
      stored.set(`${repository}:${tag}`, JSON.stringify(value));
    },
    remove: async (_context, repository, tag) => stored.delete(`${repository}:${tag}`) || true,
  };
}

const target = { service: 'hello-dev', name: 'hello', environment: 'dev' };
const secretsKey = Buffer.alloc(32, 3).toString('base64');
const material = (key: string, value: string, generated: boolean) => ({
  key,
  value,
  fingerprint: `hmac-sha256:${key}`,
  generated,
});

describe('doSecretStore', () => {
  it('keeps generated values encrypted in the registry, literal ones only in memory for the run', async () => {
    const documents = memoryDocuments();
    const secrets = doSecretStore({
      documents,
      repository: () => 'acme/hello-dev',
      secretsKey,
      liveSecrets: async () => [],
    });
    const context = createTestContext();
    const bindings = await secrets.store.upsert(context, target, [
      material('API_KEY', 'generated-value', true),
      material('TOKEN', 'literal-value', false),
    ]);
    expect(bindings).toEqual({
      API_KEY: { ref: 'app-platform:env/API_KEY', fingerprint: 'hmac-sha256:API_KEY' },
      TOKEN: { ref: 'app-platform:env/TOKEN', fingerprint: 'hmac-sha256:TOKEN' },
    });
    const kept = [...documents.stored.values()].join();
    expect(kept).not.toContain('generated-value');
    expect(kept).not.toContain('literal-value');
    expect(await secrets.store.read?.(context, target, 'API_KEY')).toBe('generated-value');
    expect(await secrets.store.read?.(context, target, 'TOKEN')).toBeUndefined();
    expect(secrets.pendingValue(target, 'TOKEN', 'hmac-sha256:TOKEN')).toBe('literal-value');
    expect(secrets.pendingValue(target, 'TOKEN', 'hmac-sha256:other')).toBeUndefined();
    secrets.forget(target);
    expect(secrets.pendingValue(target, 'TOKEN', 'hmac-sha256:TOKEN')).toBeUndefined();
  });

  it('lists what it owns and deletes only the vault entries asked for', async () => {
    const documents = memoryDocuments();
    const secrets = doSecretStore({
      documents,
      repository: () => 'acme/hello-dev',
      secretsKey,
      liveSecrets: async () => [
        { key: 'TOKEN', ref: 'app-platform:env/TOKEN', fingerprint: 'hmac-sha256:TOKEN' },
      ],
    });
    const context = createTestContext();
    await secrets.store.upsert(context, target, [
      material('API_KEY', 'a', true),
      material('OTHER', 'b', true),
    ]);
    expect((await secrets.store.list(context, target)).map((secret) => secret.key).sort()).toEqual([
      'API_KEY',
      'OTHER',
      'TOKEN',
    ]);
    await secrets.store.delete(context, target, ['API_KEY']);
    expect(await secrets.store.read?.(context, target, 'API_KEY')).toBeUndefined();
    expect(await secrets.store.read?.(context, target, 'OTHER')).toBe('b');
    await secrets.store.delete(context, target, ['OTHER']);
    expect(documents.stored.size).toBe(0);
  });

  it('refuses to generate secrets without a key, with the fix', async () => {
    const secrets = doSecretStore({
      documents: memoryDocuments(),
      repository: () => 'acme/hello-dev',
      liveSecrets: async () => [],
    });
    await expect(
      secrets.store.upsert(createTestContext(), target, [material('API_KEY', 'a', true)]),
    ).rejects.toMatchObject({ code: 'SECRET_SOURCE_MISSING', hint: expect.stringContaining('secretsKey') });
  });
});
