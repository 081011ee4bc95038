import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  type JsonValue,
  type OwnedSecret,
  type ProviderContext,
  ProviderError,
  type ProviderLedgerStore,
  type ProviderSecretStore,
  type SecretBinding,
  type ServiceTarget,
  type TargetLedger,
} from '@berth/core';
import { ledgerTag, secretRef, vaultTag } from './app-names.js';
import type { RegistryDocuments } from './registry-documents.js';

/** What the stores need from the provider. */
export interface TargetStoreInput {
  documents: RegistryDocuments;
  /** The service's DOCR repository, `<registry>/<service>`. */
  repository(target: ServiceTarget): string;
  /** Key of the generated secrets, when configured. */
  secretsKey?: string;
  /** The secret envs the live app holds (encrypted by App Platform), with their fingerprints. */
  liveSecrets(context: ProviderContext, target: ServiceTarget): Promise<OwnedSecret[]>;
}

/** One generated secret in the vault document: AES-256-GCM ciphertext, bound to its service and key. */
interface SealedSecret {
  fingerprint: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

interface Vault {
  version: 1;
  secrets: Record<string, SealedSecret>;
}

const aad = (target: ServiceTarget, key: string) => Buffer.from(`berth:${target.service}/${key}`);

/** Encrypt a generated value for the vault. Pure but for the random IV. */
export function seal(
  secretsKey: string,
  target: ServiceTarget,
  key: string,
  value: string,
  fingerprint: string,
): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(secretsKey, 'base64'), iv);
  cipher.setAAD(aad(target, key));
  const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
  return {
    fingerprint,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Decrypt a vault entry; a wrong key is a clear error, never a wrong value. */
export function unseal(secretsKey: string, target: ServiceTarget, key: string, sealed: SealedSecret): string {
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      Buffer.from(secretsKey, 'base64'),
      Buffer.from(sealed.iv, 'base64'),
    );
    decipher.setAAD(aad(target, key));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    throw new ProviderError(
      'SECRET_SOURCE_MISSING',
      `The generated secret ${key} of ${target.service} cannot be decrypted`,
      {
        cause: error,
        hint: 'appPlatform({ secretsKey }) is not the key it was generated with: use the same key everywhere the service is deployed.',
        details: { key },
      },
    );
  }
}

const isVault = (value: JsonValue | undefined): value is JsonValue & Vault =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  value.version === 1 &&
  typeof value.secrets === 'object';

const isLedger = (value: JsonValue | undefined): value is JsonValue & TargetLedger =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  value.version === 1 &&
  Array.isArray(value.revisions);

const missingKey = (target: ServiceTarget) =>
  new ProviderError(
    'SECRET_SOURCE_MISSING',
    `${target.service} has generated secrets, and appPlatform() was given no secretsKey`,
    {
      hint: 'Set appPlatform({ secretsKey }) to 32 random bytes, base64 (e.g. from a CI secret): generated values are kept encrypted with it in the registry. See docs/providers/do.md#secrets.',
    },
  );

/**
 * Secrets on App Platform: values go into the app spec as `type: SECRET` envs, which App Platform
 * encrypts (`EV[…]`); Berth resubmits that ciphertext while the fingerprint is unchanged. `upsert`
 * keeps the plaintext in memory for the `apply` of the same run only. Generated values, which must be
 * read back, live AES-256-GCM encrypted with `secretsKey` in a document of the service's DOCR
 * repository (tag `berth-secrets`).
 */
export function doSecretStore(input: TargetStoreInput) {
  const pending = new Map<string, { fingerprint: string; value: string }>();
  const slot = (target: ServiceTarget, key: string) => `${target.service}\u0000${key}`;

  async function readVault(context: ProviderContext, target: ServiceTarget): Promise<Vault> {
    const value = await input.documents.read(context, input.repository(target), vaultTag);
    return isVault(value) ? value : { version: 1, secrets: {} };
  }
  async function writeVault(context: ProviderContext, target: ServiceTarget, vault: Vault): Promise<void> {
    if (Object.keys(vault.secrets).length === 0) {
      if (await input.documents.remove(context, input.repository(target), vaultTag)) return;
    }
    await input.documents.write(context, input.repository(target), vaultTag, vault as unknown as JsonValue);
  }

  const store: ProviderSecretStore = {
    async upsert(context, target, secrets) {
      const generated = secrets.filter((secret) => secret.generated);
      if (generated.length > 0) {
        if (!input.secretsKey) throw missingKey(target);
        const vault = await readVault(context, target);
        for (const secret of generated)
          vault.secrets[secret.key] = seal(
            input.secretsKey,
            target,
            secret.key,
            secret.value,
            secret.fingerprint,
          );
        await writeVault(context, target, vault);
      }
      const bindings: Record<string, SecretBinding> = {};
      for (const secret of secrets) {
        pending.set(slot(target, secret.key), { fingerprint: secret.fingerprint, value: secret.value });
        bindings[secret.key] = { ref: secretRef(secret.key), fingerprint: secret.fingerprint };
      }
      return bindings;
    },

    async read(context, target, key) {
      if (!input.secretsKey) return undefined;
      const sealed = (await readVault(context, target)).secrets[key];
      return sealed ? unseal(input.secretsKey, target, key, sealed) : undefined;
    },

    async list(context, target) {
      const owned = new Map<string, OwnedSecret>();
      for (const secret of await input.liveSecrets(context, target)) owned.set(secret.key, secret);
      for (const [key, sealed] of Object.entries((await readVault(context, target)).secrets))
        owned.set(key, { key, ref: secretRef(key), fingerprint: sealed.fingerprint });
      return [...owned.values()];
    },

    async delete(context, target, keys) {
      // The app's own secret envs go with the app; only the vault's entries are Berth's to delete.
      for (const key of keys) pending.delete(slot(target, key));
      const vault = await readVault(context, target);
      if (!keys.some((key) => key in vault.secrets)) return;
      for (const key of keys) delete vault.secrets[key];
      await writeVault(context, target, vault);
    },
  };

  return {
    store,
    /** The plaintext `upsert` received in this run for `key`, if its fingerprint is `fingerprint`. */
    pendingValue(target: ServiceTarget, key: string, fingerprint: string): string | undefined {
      const entry = pending.get(slot(target, key));
      return entry?.fingerprint === fingerprint ? entry.value : undefined;
    },
    /** Forget the plaintexts of a service once App Platform holds them. */
    forget(target: ServiceTarget): void {
      for (const name of pending.keys()) if (name.startsWith(`${target.service}\u0000`)) pending.delete(name);
    },
  };
}

/** The ledger in the service's DOCR repository (tag `berth-ledger`): with the target, and no deployment when it changes. */
export function doLedgerStore(
  input: Pick<TargetStoreInput, 'documents' | 'repository'>,
): ProviderLedgerStore {
  return {
    async read(context, target) {
      const value = await input.documents.read(context, input.repository(target), ledgerTag);
      return isLedger(value) ? (value as TargetLedger) : undefined;
    },
    async write(context, target, ledger) {
      await input.documents.write(
        context,
        input.repository(target),
        ledgerTag,
        ledger as unknown as JsonValue,
      );
    },
    async clear(context, target) {
      if (!(await input.documents.remove(context, input.repository(target), ledgerTag)))
        await input.documents.write(context, input.repository(target), ledgerTag, {});
    },
  };
}
