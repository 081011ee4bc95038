import { chmod, mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { posix } from 'node:path';
import {
  BerthError,
  type OwnedSecret,
  type ProviderContext,
  type ProviderLedgerStore,
  type ProviderSecretStore,
  type SecretBinding,
  type SecretMaterial,
  type ServiceTarget,
  type TargetLedger,
} from '@berth/core';
import { writeFileAtomic } from '@berth/core/plugin-kit';

const { join } = posix;

/**
 * The files a secret store keeps, wherever they live: this machine's disk (the default), or a host
 * reached over SSH. Paths are POSIX.
 */
export interface SecretFiles {
  /** The file's text, or `undefined` when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Write atomically (readers see old or new), mode 0600 from the first byte. */
  write(path: string, content: string): Promise<void>;
  /** Create the folder (and parents) with mode 0700. */
  ensureDir(path: string): Promise<void>;
  /** Remove files (missing ones are fine). */
  remove(paths: string[]): Promise<void>;
  /** Remove the folder if it is empty. */
  removeEmptyDir(path: string): Promise<void>;
}

/** Options of `localSecretStore`. */
export interface LocalSecretStoreOptions {
  /** Root folder; each service gets `<directory>/<service>/` (mode 0700). */
  directory: string;
  /** Versions kept per secret, so stopped revisions can be restarted with their values. Default 6. */
  keepVersions?: number;
  /** Where the files live. Default: this machine's disk. */
  files?: SecretFiles;
  /** The folder of one service. Default `<directory>/<service>`. */
  directoryOf?: (service: string) => string;
  /**
   * Where `read` looks when this store has no value: a store used before (e.g. the operator's local
   * store, before SSH hosts kept their secrets), so a generated value is never silently rotated.
   */
  fallback?: ProviderSecretStore & Partial<Pick<LocalSecretStore, 'resolve'>>;
}

/**
 * A secret store on the target's disk (this machine for local Docker, the host for SSH), plus what
 * the provider needs to inject values, and the target's convergence ledger (`ledger.json` beside the
 * secrets, mode 0600).
 */
export interface LocalSecretStore extends ProviderSecretStore {
  /** The folder holding `service`'s secrets. */
  directoryOf(service: string): string;
  /** The values of bindings (by reference into this store), to inject into a container. */
  resolve(target: ServiceTarget, bindings: Record<string, SecretBinding>): Promise<Record<string, string>>;
  /** The service's `TargetLedger`, kept in `<directory>/<service>/ledger.json`. */
  ledger: ProviderLedgerStore;
}

/** Secret files on this machine's disk. */
export function diskSecretFiles(): SecretFiles {
  return {
    async read(path) {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    write: (path, content) => writeFileAtomic(path, content, 0o600),
    async ensureDir(path) {
      // Only the service folder is chmod-ed: the root may be a folder the user chose and shares.
      await mkdir(path, { recursive: true, mode: 0o700 });
      await chmod(path, 0o700);
    },
    async remove(paths) {
      await Promise.all(paths.map((path) => rm(path, { force: true })));
    },
    async removeEmptyDir(path) {
      await rmdir(path).catch(() => {});
    },
  };
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
const LEDGER = 'ledger.json';
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
  const files = options.files ?? diskSecretFiles();
  const directoryOf = options.directoryOf ?? ((service: string) => join(options.directory, service));
  const fileOf = (service: string, key: string, version: number) =>
    join(directoryOf(service), `${key}.v${version}`);

  async function readManifest(service: string): Promise<StoreManifest> {
    try {
      const text = await files.read(join(directoryOf(service), MANIFEST));
      if (text === undefined) return { managedBy: 'berth', formatVersion: 1, service, secrets: {} };
      const manifest = JSON.parse(text) as StoreManifest;
      if (manifest.managedBy !== 'berth' || typeof manifest.secrets !== 'object')
        throw storeError(`${join(directoryOf(service), MANIFEST)} is not a Berth secret manifest`);
      return manifest;
    } catch (error) {
      throw BerthError.isInstance(error)
        ? error
        : storeError(`Cannot read the secret manifest of ${service}`, error);
    }
  }

  async function ensureDirectory(service: string): Promise<void> {
    await files.ensureDir(directoryOf(service));
  }

  async function readValue(service: string, key: string, version: number): Promise<string> {
    let value: string | undefined;
    let cause: unknown;
    try {
      value = await files.read(fileOf(service, key, version));
    } catch (error) {
      cause = error;
    }
    if (value !== undefined) return value;
    throw new BerthError(
      'PROVIDER_NOT_FOUND',
      `Secret ${key} version ${version} of ${service} is missing from the secret store`,
      {
        hint: 'Deploy again so Berth stores the secret anew (old versions are pruned).',
        ...(cause ? { cause } : {}),
      },
    );
  }

  const ledgerFile = (service: string) => join(directoryOf(service), LEDGER);

  return {
    directoryOf,

    async upsert(context: ProviderContext, target: ServiceTarget, secrets: SecretMaterial[]) {
      const invalid = secrets.find((secret) => !keyPattern.test(secret.key));
      if (invalid) throw storeError(`Invalid secret name ${JSON.stringify(invalid.key)}`);
      const manifest = await readManifest(target.service);
      await ensureDirectory(target.service);
      const bindings: Record<string, SecretBinding> = {};
      const stale: string[] = [];
      // The new values' files are written side by side (each one atomic and synced); the manifest
      // naming them goes after all of them.
      const writes: Promise<void>[] = [];
      for (const secret of secrets) {
        const stored = manifest.secrets[secret.key] ?? {
          generated: secret.generated,
          current: 0,
          versions: [],
        };
        const same = stored.versions.find((version) => version.fingerprint === secret.fingerprint);
        let version = same?.version;
        if (version === undefined) {
          version = Math.max(0, ...stored.versions.map((entry) => entry.version)) + 1;
          writes.push(files.write(fileOf(target.service, secret.key, version), secret.value));
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
      await Promise.all(writes);
      await files.write(
        join(directoryOf(target.service), MANIFEST),
        `${JSON.stringify(manifest, null, 2)}\n`,
      );
      await files.remove(stale);
      return bindings;
    },

    async read(context: ProviderContext, target: ServiceTarget, key: string) {
      const stored = (await readManifest(target.service)).secrets[key];
      if (!stored) return options.fallback?.read?.(context, target, key);
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
      const removed: string[] = [];
      for (const key of keys) {
        const stored = manifest.secrets[key];
        if (!stored) continue;
        for (const version of stored.versions) removed.push(fileOf(target.service, key, version.version));
        delete manifest.secrets[key];
      }
      if (Object.keys(manifest.secrets).length > 0) {
        await files.write(
          join(directoryOf(target.service), MANIFEST),
          `${JSON.stringify(manifest, null, 2)}\n`,
        );
        await files.remove(removed);
        return;
      }
      await files.remove([...removed, join(directoryOf(target.service), MANIFEST)]);
      await files.removeEmptyDir(directoryOf(target.service));
    },

    ledger: {
      async read(_context, target) {
        const text = await files.read(ledgerFile(target.service));
        if (text === undefined) return undefined;
        try {
          return JSON.parse(text) as TargetLedger;
        } catch (error) {
          throw storeError(`${ledgerFile(target.service)} is not valid JSON`, error);
        }
      },
      async write(_context, target, ledger) {
        await ensureDirectory(target.service);
        await files.write(ledgerFile(target.service), `${JSON.stringify(ledger)}\n`);
      },
      async clear(_context, target) {
        await files.remove([ledgerFile(target.service)]);
        await files.removeEmptyDir(directoryOf(target.service));
      },
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
        try {
          values[key] = await readValue(target.service, key, ref.version);
        } catch (error) {
          // A revision deployed before this store held its secrets: its value is in the old store.
          const fallback = options.fallback?.resolve;
          if (!fallback) throw error;
          const found = await fallback(target, { [key]: binding }).catch(() => undefined);
          if (found?.[key] === undefined) throw error;
          values[key] = found[key];
        }
      }
      return values;
    },
  };
}
