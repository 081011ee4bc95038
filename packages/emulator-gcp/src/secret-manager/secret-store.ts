import type { JsonObject } from '../rpc/rpc-error.js';

/** A version of a secret: its resource and, unless destroyed, its payload. */
export interface SecretVersionRecord {
  number: number;
  resource: JsonObject;
  data?: Buffer;
}

/** A secret with its versions. */
export interface SecretRecord {
  /** `projects/{number}/secrets/{id}`. */
  name: string;
  resource: JsonObject;
  versions: SecretVersionRecord[];
  nextVersion: number;
}

/** Secrets by name (`projects/{number}/secrets/{id}`). Shared with Cloud Run, which resolves `secretKeyRef`s. */
export class SecretStore {
  readonly secrets = new Map<string, SecretRecord>();

  /** The enabled payload of `secret` at `version` (`latest` or a number), or why it cannot be read. */
  resolve(name: string, version: string): { value: string } | { problem: string } {
    const secret = this.secrets.get(name);
    if (!secret) return { problem: `Secret ${name}/versions/${version} was not found` };
    const record =
      version === 'latest' || version === ''
        ? secret.versions.at(-1)
        : secret.versions.find((candidate) => String(candidate.number) === version);
    if (!record) return { problem: `Secret ${name}/versions/${version} was not found` };
    if (record.resource.state !== 'ENABLED' || !record.data)
      return {
        problem: `Secret version ${name}/versions/${record.number} is in ${String(record.resource.state)} state`,
      };
    return { value: record.data.toString('utf8') };
  }
}
