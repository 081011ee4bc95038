import { chmod, mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BerthError,
  type OwnedSecret,
  type ProviderContext,
  type ProviderSecretStore,
  type SecretBinding,
  type SecretMaterial,
  type ServiceTarget,
  writeFileAtomic,
} from '@berth/core';

/** Options of `localSecretStore`. */
export interface LocalSecretStoreOptions {
  /** Root folder; each service gets `<directory>/<service>/` (mode 0700). */
  directory: string;
  /** Versions kept per secret, so stopped revisions can be restarted with their values. Default 6. */
  keepVersions?: number;
}

/** A secret store on the local disk, plus what the provider needs to inject values. */
export interface LocalSecretStore extends ProviderSecretStore {
  /** The folder holding `service`'s secrets. */
  directoryOf(service: string): string;
  /** The values of bindings (by reference into this store), to inject into a container. */
  resolve(target: ServiceTarget, bindings: Record<string, SecretBinding>): Promise<Record<string, string>>;
}

interface StoredVersion {
  version: number;
  fingerprint: string;
  createdAt: string;
}

interface StoredSecret {
  generated: boolean;
  current: number;
  versions: StoredVersion[];
}

/** `manifest.json`: what the store holds and that Berth owns it. Fingerprints only, never values. */
interface StoreManifest {
  managedBy: 'berth';
  formatVersion: 1;
  service: string;
  secrets: Record<string, StoredSecret>;
}

const MANIFEST = 'manifest.json';
const refPattern = /^([a-z][a-z0-9-]*)\/([A-Za-z_][A-Za-z0-9_]*)\.v(\d+)$/;
const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A store reference: the entry's path relative to the store's root, `<service>/<KEY>.v<version>`. */
export function secretRef(service: string, key: string, version: number): string {
  return `${service}/${key}.v${version}`;
}

/** Parse a reference made by `secretRef`; `undefined` for anything else. */
export function parseSecretRef(ref: string): { service: string; key: string; version: number } | undefined {
  const match = refPattern.exec(ref);
  if (!match) return undefined;
  return { service: match[1] ?? '', key: match[2] ?? '', version: Number(match[3]) };
}

function storeError(message: string, cause?: unknown): BerthError {
  return new BerthError('PROVIDER_REQUEST_FAILED', message, {
    hint: 'Check that the secrets folder exists, belongs to this user and is writable (mode 0700).',
    ...(cause ? { cause } : {}),
  });
}

/**
 * The local-Docker secret store: one folder per service (mode 0700) holding one file per secret
 * version (mode 0600, written atomically) and a manifest marking them as Berth's, with fingerprints.
 */
export function localSecretStore(options: LocalSecretStoreOptions): LocalSecretStore {
  const keepVersions = options.keepVersions ?? 6;
  const directoryOf = (service: string) => join(options.directory, service);
  const fileOf = (service: string, key: string, version: number) =>
    join(options.directory, secretRef(service, key, version));

  async function readManifest(service: string): Promise<StoreManifest> {
    try {
      const manifest = JSON.parse(
        await readFile(join(directoryOf(service), MANIFEST), 'utf8'),
      ) as StoreManifest;
      if (manifest.managedBy !== 'berth' || typeof manifest.secrets !== 'object')
        throw storeError(`${join(directoryOf(service), MANIFEST)} is not a Berth secret manifest`);
      return manifest;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return { managedBy: 'berth', formatVersion: 1, service, secrets: {} };
      throw BerthError.isInstance(error)
        ? error
        : storeError(`Cannot read the secret manifest of ${service}`, error);
    }
  }

  async function ensureDirectory(service: string): Promise<void> {
    // Only the service folder is chmod-ed: the root may be a folder the user chose and shares.
    await mkdir(directoryOf(service), { recursive: true, mode: 0o700 });
    await chmod(directoryOf(service), 0o700);
  }

  async function readValue(service: string, key: string, version: number): Promise<string> {
    try {
      return await readFile(fileOf(service, key, version), 'utf8');
    } catch (error) {
      throw new BerthError(
        'PROVIDER_NOT_FOUND',
        `Secret ${key} version ${version} of ${service} is missing from the local store`,
        {
          hint: 'Deploy again so Berth stores the secret anew (old versions are pruned).',
          cause: error,
        },
      );
    }
  }

  return {
    directoryOf,

    async upsert(context: ProviderContext, target: ServiceTarget, secrets: SecretMaterial[]) {
      const manifest = await readManifest(target.service);
      await ensureDirectory(target.service);
      const bindings: Record<string, SecretBinding> = {};
      const stale: string[] = [];
      for (const secret of secrets) {
        if (!keyPattern.test(secret.key))
          throw storeError(`Invalid secret name ${JSON.stringify(secret.key)}`);
        const stored = manifest.secrets[secret.key] ?? {
          generated: secret.generated,
          current: 0,
          versions: [],
        };
        const same = stored.versions.find((version) => version.fingerprint === secret.fingerprint);
        let version = same?.version;
        if (version === undefined) {
          version = Math.max(0, ...stored.versions.map((entry) => entry.version)) + 1;
          await writeFileAtomic(fileOf(target.service, secret.key, version), secret.value);
          stored.versions.push({
            version,
            fingerprint: secret.fingerprint,
            createdAt: new Date(context.clock.now()).toISOString(),
          });
        }
        stored.current = version;
        stored.generated = secret.generated;
        const current = version;
        const kept = stored.versions.filter((entry) => entry.version !== current).slice(-(keepVersions - 1));
        for (const entry of stored.versions)
          if (entry.version !== current && !kept.includes(entry))
            stale.push(fileOf(target.service, secret.key, entry.version));
        stored.versions = [...kept, ...stored.versions.filter((entry) => entry.version === current)];
        manifest.secrets[secret.key] = stored;
        bindings[secret.key] = {
          ref: secretRef(target.service, secret.key, version),
          fingerprint: secret.fingerprint,
        };
      }
      await writeFileAtomic(
        join(directoryOf(target.service), MANIFEST),
        `${JSON.stringify(manifest, null, 2)}\n`,
      );
      await Promise.all(stale.map((path) => rm(path, { force: true })));
      return bindings;
    },

    async read(_context: ProviderContext, target: ServiceTarget, key: string) {
      const stored = (await readManifest(target.service)).secrets[key];
      if (!stored) return undefined;
      return readValue(target.service, key, stored.current);
    },

    async list(_context: ProviderContext, target: ServiceTarget): Promise<OwnedSecret[]> {
      const manifest = await readManifest(target.service);
      return Object.entries(manifest.secrets)
        .sort(([left], [right]) => (left < right ? -1 : 1))
        .map(([key, stored]) => {
          const current = stored.versions.find((version) => version.version === stored.current);
          return {
            key,
            ref: secretRef(target.service, key, stored.current),
            ...(current ? { fingerprint: current.fingerprint } : {}),
          };
        });
    },

    async delete(_context: ProviderContext, target: ServiceTarget, keys: string[]) {
      const manifest = await readManifest(target.service);
      const files: string[] = [];
      for (const key of keys) {
        const stored = manifest.secrets[key];
        if (!stored) continue;
        for (const version of stored.versions) files.push(fileOf(target.service, key, version.version));
        delete manifest.secrets[key];
      }
      if (Object.keys(manifest.secrets).length > 0) {
        await writeFileAtomic(
          join(directoryOf(target.service), MANIFEST),
          `${JSON.stringify(manifest, null, 2)}\n`,
        );
        await Promise.all(files.map((path) => rm(path, { force: true })));
        return;
      }
      await Promise.all(files.map((path) => rm(path, { force: true })));
      await rm(join(directoryOf(target.service), MANIFEST), { force: true });
      await rmdir(directoryOf(target.service)).catch(() => {});
    },

    async resolve(target, bindings) {
      const values: Record<string, string> = {};
      for (const [key, binding] of Object.entries(bindings)) {
        if (binding.value !== undefined) {
          values[key] = binding.value;
          continue;
        }
        const ref = binding.ref ? parseSecretRef(binding.ref) : undefined;
        if (!ref || ref.service !== target.service || ref.key !== key)
          throw new BerthError(
            'PROVIDER_NOT_FOUND',
            `Secret ${key} has no reference into the local store of ${target.service}`,
            {
              hint: 'Deploy again so Berth stores the secret (its binding must come from this provider’s store).',
            },
          );
        values[key] = await readValue(target.service, key, ref.version);
      }
      return values;
    },
  };
}
