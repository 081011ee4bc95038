import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  type OwnedSecret,
  type ProviderContext,
  ProviderError,
  type ProviderSecretStore,
  type SecretBinding,
} from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import {
  fingerprintTagKey,
  keyTagKey,
  kindTagKey,
  ownedTags,
  ownerTag,
  secretName,
  secretVersionRef,
  tagRecord,
  versionTagKey,
} from './aws-names.js';
import type { AwsSharedOptions } from './aws-options.js';
import type { RetryPolicy } from './with-retry.js';
import { withRetry } from './with-retry.js';

type Call = <T>(action: string, operation: () => Promise<T>) => Promise<T>;

/** What the secret store needs. */
export interface AwsStoreInput {
  clients: () => AwsClients;
  options: Pick<AwsSharedOptions, 'secretPrefix' | 'tags' | 'secretDeletion'>;
  retry: (context: ProviderContext) => RetryPolicy;
}

const codeOf = (error: unknown) => (error as { code?: unknown }).code;

/** Describe a secret by name; `undefined` when it does not exist (a secret scheduled for deletion exists). */
export async function describeSecret(
  input: AwsStoreInput,
  run: Call,
  name: string,
): Promise<DescribeSecretCommandOutput | undefined> {
  try {
    return await run(`describe secret ${name} (secretsmanager:DescribeSecret)`, () =>
      input.clients().secrets.send(new DescribeSecretCommand({ SecretId: name })),
    );
  } catch (error) {
    if (codeOf(error) === 'PROVIDER_NOT_FOUND') return undefined;
    throw error;
  }
}

/** A secret scheduled for deletion (a `down` inside its recovery window) is restored, not failed on. */
export async function restoreIfScheduled(
  input: AwsStoreInput,
  context: ProviderContext,
  run: Call,
  secret: DescribeSecretCommandOutput,
): Promise<void> {
  if (!secret.DeletedDate) return;
  await run(`restore secret ${secret.Name} (secretsmanager:RestoreSecret)`, () =>
    input.clients().secrets.send(new RestoreSecretCommand({ SecretId: secret.ARN })),
  );
  context.log('info', `restored secret ${secret.Name}, which was scheduled for deletion`);
}

/**
 * Secrets Manager as Berth's secret store: one secret per key and service (`<prefix>/<service>/<KEY>`),
 * tagged as Berth's; a new version (`PutSecretValue`) only when the fingerprint changed (the
 * fingerprint and version id are tags of the secret); bindings reference the exact version, so a
 * rollback restores the old value. A secret scheduled for deletion is restored on the next deploy.
 */
export function awsSecretStore(input: AwsStoreInput): ProviderSecretStore {
  const call =
    (context: ProviderContext): Call =>
    (action, operation) =>
      withRetry(action, input.retry(context), operation);
  const sm = () => input.clients().secrets;
  const owned = (secret: { Tags?: { Key?: string; Value?: string }[] } | undefined) =>
    tagRecord(secret?.Tags)[ownerTag.Key] === ownerTag.Value;

  return {
    async upsert(context, target, secrets) {
      const run = call(context);
      const bindings: Record<string, SecretBinding> = {};
      for (const material of secrets) {
        const name = secretName(input.options.secretPrefix, target.service, material.key);
        const secret = await describeSecret(input, run, name);
        if (secret && !owned(secret))
          throw new ProviderError('PROVIDER_CONFLICT', `Secret ${name} exists but is not owned by Berth`, {
            hint: `Delete or rename the secret ${name}, or tag it ${ownerTag.Key}=${ownerTag.Value} to let Berth manage it.`,
          });
        let arn: string;
        let versionId: string | undefined;
        if (!secret) {
          const created = await run(`create secret ${name} (secretsmanager:CreateSecret)`, () =>
            sm().send(
              new CreateSecretCommand({
                Name: name,
                Description: `${material.key} of ${target.service}, managed by Berth`,
                SecretString: material.value,
                Tags: ownedTags(target.service, input.options.tags, { [keyTagKey]: material.key }),
              }),
            ),
          );
          arn = created.ARN ?? '';
          versionId = created.VersionId;
          context.log('info', `secret ${material.key}: created`);
        } else {
          await restoreIfScheduled(input, context, run, secret);
          arn = secret.ARN ?? '';
          const tags = tagRecord(secret.Tags);
          versionId = tags[fingerprintTagKey] === material.fingerprint ? tags[versionTagKey] : undefined;
          if (!versionId) {
            const put = await run(`put a value in ${name} (secretsmanager:PutSecretValue)`, () =>
              sm().send(new PutSecretValueCommand({ SecretId: arn, SecretString: material.value })),
            );
            versionId = put.VersionId;
            context.log('info', `secret ${material.key}: new version`);
          }
        }
        if (!versionId)
          throw new ProviderError(
            'PROVIDER_REQUEST_FAILED',
            `Secrets Manager returned no version of ${name}`,
            {
              hint: 'Retry.',
            },
          );
        const tags = tagRecord(secret?.Tags);
        if (tags[fingerprintTagKey] !== material.fingerprint || tags[versionTagKey] !== versionId) {
          const version = versionId;
          await run(`tag secret ${name} (secretsmanager:TagResource)`, () =>
            sm().send(
              new TagResourceCommand({
                SecretId: arn,
                Tags: [
                  { Key: fingerprintTagKey, Value: material.fingerprint },
                  { Key: versionTagKey, Value: version },
                ],
              }),
            ),
          );
        }
        bindings[material.key] = { ref: secretVersionRef(arn, versionId), fingerprint: material.fingerprint };
      }
      return bindings;
    },

    async read(context, target, key) {
      const run = call(context);
      const name = secretName(input.options.secretPrefix, target.service, key);
      const secret = await describeSecret(input, run, name);
      if (!secret || !owned(secret)) return undefined;
      await restoreIfScheduled(input, context, run, secret);
      const version = tagRecord(secret.Tags)[versionTagKey];
      const value = await run(`read secret ${name} (secretsmanager:GetSecretValue)`, () =>
        sm().send(
          new GetSecretValueCommand({ SecretId: secret.ARN, ...(version ? { VersionId: version } : {}) }),
        ),
      );
      if (value.SecretString !== undefined) context.redact?.(value.SecretString);
      return value.SecretString;
    },

    async list(context, target) {
      const run = call(context);
      const prefix = `${secretName(input.options.secretPrefix, target.service, '')}`;
      const found: OwnedSecret[] = [];
      let NextToken: string | undefined;
      do {
        const page = await run(`list secrets of ${target.service} (secretsmanager:ListSecrets)`, () =>
          sm().send(
            new ListSecretsCommand({
              Filters: [{ Key: 'name', Values: [prefix] }],
              ...(NextToken ? { NextToken } : {}),
            }),
          ),
        );
        for (const secret of page.SecretList ?? []) {
          const tags = tagRecord(secret.Tags);
          // The service's ledger and lock are Berth's records, not service secrets.
          if (!secret.Name?.startsWith(prefix) || tags[ownerTag.Key] !== ownerTag.Value || tags[kindTagKey])
            continue;
          const key = tags[keyTagKey] ?? secret.Name.slice(prefix.length);
          const version = tags[versionTagKey];
          const fingerprint = tags[fingerprintTagKey];
          found.push({
            key,
            ...(version && secret.ARN ? { ref: secretVersionRef(secret.ARN, version) } : {}),
            ...(fingerprint ? { fingerprint } : {}),
          });
        }
        NextToken = page.NextToken;
      } while (NextToken);
      return found.sort((a, b) => a.key.localeCompare(b.key));
    },

    async delete(context, target, keys) {
      const run = call(context);
      const { forceDelete, recoveryWindowInDays } = input.options.secretDeletion;
      for (const key of keys) {
        const name = secretName(input.options.secretPrefix, target.service, key);
        const secret = await describeSecret(input, run, name);
        if (!secret || !owned(secret) || secret.DeletedDate) continue;
        await run(`delete secret ${name} (secretsmanager:DeleteSecret)`, () =>
          sm().send(
            new DeleteSecretCommand({
              SecretId: secret.ARN,
              ...(forceDelete
                ? { ForceDeleteWithoutRecovery: true }
                : { RecoveryWindowInDays: recoveryWindowInDays }),
            }),
          ),
        );
      }
    },
  };
}
