import {
  type OwnedSecret,
  type ProviderContext,
  ProviderError,
  type ProviderSecretStore,
  type SecretBinding,
} from '@berth/core';
import type { GcpClients } from './gcp-clients.js';
import {
  ownerLabel,
  secretAnnotations,
  secretId,
  secretName,
  serviceLabel,
  versionNumberOf,
} from './gcp-names.js';
import { kindLabel } from './gcp-target-store.js';
import type { RetryPolicy } from './with-retry.js';
import { withRetry } from './with-retry.js';

type Call = <T>(action: string, operation: () => Promise<T>) => Promise<T>;

/** Labels of a secret Berth owns. Label values must be lowercase, so the key itself goes in an annotation. */
export function ownedSecretLabels(service: string, labels: Record<string, string>): Record<string, string> {
  return { ...labels, [ownerLabel.key]: ownerLabel.value, [serviceLabel]: service };
}

/**
 * Secret Manager as Berth's secret store: one secret per key and service, labelled as owned by
 * Berth; a new version only when the value's fingerprint changed (the fingerprint and version are
 * kept in the secret's annotations); bindings reference the version by number.
 */
export function gcpSecretStore(input: {
  clients: () => GcpClients;
  project: string;
  labels: Record<string, string>;
  retry: (context: ProviderContext) => RetryPolicy;
}): ProviderSecretStore {
  const call =
    (context: ProviderContext): Call =>
    (action, operation) =>
      withRetry(action, input.retry(context), operation);

  async function find(run: Call, name: string) {
    try {
      const [secret] = await run(`get secret ${name}`, () => input.clients().secrets.getSecret({ name }));
      return secret;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'PROVIDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  return {
    async upsert(context, target, secrets) {
      const run = call(context);
      const bindings: Record<string, SecretBinding> = {};
      for (const material of secrets) {
        const name = secretName(input.project, target.service, material.key);
        let secret = await find(run, name);
        if (secret && secret.labels?.[ownerLabel.key] !== ownerLabel.value)
          throw new ProviderError('PROVIDER_CONFLICT', `Secret ${name} exists but is not owned by Berth`, {
            hint: `Delete or rename the secret ${secretId(target.service, material.key)}, or label it ${ownerLabel.key}=${ownerLabel.value} to let Berth manage it.`,
          });
        if (!secret)
          [secret] = await run(`create secret ${name}`, () =>
            input.clients().secrets.createSecret({
              parent: `projects/${input.project}`,
              secretId: secretId(target.service, material.key),
              secret: {
                replication: { automatic: {} },
                labels: ownedSecretLabels(target.service, input.labels),
                annotations: { [secretAnnotations.key]: material.key },
              },
            }),
          );
        const annotations = secret.annotations ?? {};
        let version = annotations[secretAnnotations.version];
        if (annotations[secretAnnotations.fingerprint] !== material.fingerprint || !version) {
          const data = Buffer.from(material.value, 'utf8');
          const [added] = await run(`add a version to ${name}`, () =>
            input.clients().secrets.addSecretVersion({ parent: name, payload: { data } }),
          );
          version = versionNumberOf(added.name ?? '');
          await run(`annotate ${name}`, () =>
            input.clients().secrets.updateSecret({
              secret: {
                name,
                annotations: {
                  ...annotations,
                  [secretAnnotations.key]: material.key,
                  [secretAnnotations.fingerprint]: material.fingerprint,
                  [secretAnnotations.version]: version ?? '',
                },
              },
              updateMask: { paths: ['annotations'] },
            }),
          );
          context.log('info', `secret ${material.key}: new version ${version}`);
        }
        bindings[material.key] = { ref: `${name}/versions/${version}`, fingerprint: material.fingerprint };
      }
      return bindings;
    },
    async read(context, target, key) {
      const run = call(context);
      const name = secretName(input.project, target.service, key);
      const secret = await find(run, name);
      if (!secret || secret.labels?.[ownerLabel.key] !== ownerLabel.value) return undefined;
      const version = secret.annotations?.[secretAnnotations.version] ?? 'latest';
      const [response] = await run(`read ${name}`, () =>
        input.clients().secrets.accessSecretVersion({ name: `${name}/versions/${version}` }),
      );
      const data = response.payload?.data;
      return data === undefined || data === null
        ? undefined
        : Buffer.from(data as Uint8Array).toString('utf8');
    },
    async list(context, target) {
      const run = call(context);
      const [secrets] = await run(`list secrets of ${target.service}`, () =>
        input.clients().secrets.listSecrets({
          parent: `projects/${input.project}`,
          filter: `labels.${ownerLabel.key}=${ownerLabel.value} AND labels.${serviceLabel}=${target.service}`,
        }),
      );
      // The service's ledger and lock are Berth's records, not service secrets.
      return secrets
        .filter((secret) => !secret.labels?.[kindLabel])
        .map((secret): OwnedSecret => {
          const annotations = secret.annotations ?? {};
          const key = annotations[secretAnnotations.key] ?? (secret.name ?? '').split('--').pop() ?? '';
          const version = annotations[secretAnnotations.version];
          const fingerprint = annotations[secretAnnotations.fingerprint];
          return {
            key,
            ...(version
              ? { ref: `${secretName(input.project, target.service, key)}/versions/${version}` }
              : {}),
            ...(fingerprint ? { fingerprint } : {}),
          };
        });
    },
    async delete(context, target, keys) {
      const run = call(context);
      for (const key of keys) {
        const name = secretName(input.project, target.service, key);
        const secret = await find(run, name);
        if (!secret || secret.labels?.[ownerLabel.key] !== ownerLabel.value) continue;
        await run(`delete secret ${name}`, () => input.clients().secrets.deleteSecret({ name }));
      }
    },
  };
}
