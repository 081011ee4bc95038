import type { EmulatorContext } from '../emulator-context.js';
import { AwsError } from '../protocol/aws-error.js';
import type { Json, JsonApi, OperationHandler } from '../protocol/dispatch.js';
import { ids, paginate } from '../protocol/ids.js';
import {
  checkBoolean,
  checkInteger,
  checkList,
  checkObject,
  checkString,
  requireString,
} from '../protocol/validate.js';
import {
  markedForDeletion,
  type SecretRecord,
  type SecretStore,
  type SecretVersion,
} from './secret-store.js';

const namePattern = /^[a-zA-Z0-9/_+=.@-]+$/;
const stagePattern = { min: 1, max: 256 };
const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);

function readValue(input: Json): { secretString?: string; secretBinary?: string } {
  const secretString = checkString('secretString', input.SecretString, { min: 1, max: 65536 });
  const secretBinary = checkString('secretBinary', input.SecretBinary, { min: 1, max: 87384 });
  if (secretString !== undefined && secretBinary !== undefined)
    throw invalidParameter(
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
  return {
    ...(secretString !== undefined ? { secretString } : {}),
    ...(secretBinary !== undefined ? { secretBinary } : {}),
  };
}

function readToken(input: Json): string | undefined {
  return checkString('clientRequestToken', input.ClientRequestToken, { min: 32, max: 64 });
}

function readTags(value: unknown): { Key: string; Value: string }[] {
  return (checkList('tags', value, { max: 50 }) ?? []).map((tag, index) => {
    const entry = checkObject(`tags.${index + 1}.member`, tag, true) as Json;
    return {
      Key: requireString(`tags.${index + 1}.member.key`, entry.Key, { min: 1, max: 128 }),
      Value: checkString(`tags.${index + 1}.member.value`, entry.Value, { max: 256 }) ?? '',
    };
  });
}

function sameValue(version: SecretVersion, value: { secretString?: string; secretBinary?: string }): boolean {
  return version.secretString === value.secretString && version.secretBinary === value.secretBinary;
}

function stagesMap(secret: SecretRecord): Record<string, string[]> {
  return Object.fromEntries(
    secret.versions
      .filter((version) => version.stages.length > 0)
      .map((version) => [version.versionId, version.stages]),
  );
}

function day(date: Date | undefined): Date | undefined {
  if (!date) return undefined;
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function describe(secret: SecretRecord, versionsKey: 'VersionIdsToStages' | 'SecretVersionsToStages'): Json {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    KmsKeyId: secret.kmsKeyId,
    RotationEnabled: false,
    LastChangedDate: secret.lastChangedAt,
    LastAccessedDate: day(secret.lastAccessedAt),
    DeletedDate: secret.deletedAt,
    Tags: secret.tags.length > 0 ? secret.tags : undefined,
    [versionsKey]: stagesMap(secret),
    CreatedDate: secret.createdAt,
  };
}

/**
 * Secrets Manager (awsJson1_1, `secretsmanager.*`): secrets with versions and staging labels,
 * ClientRequestToken idempotency, deletion with a recovery window, RestoreSecret, tags, filters.
 */
export function secretsManagerApi(context: EmulatorContext, store: SecretStore): JsonApi {
  /** Add a version labelled AWSCURRENT (or `stages`), moving AWSPREVIOUS along as Secrets Manager does. */
  function addVersion(
    secret: SecretRecord,
    value: { secretString?: string; secretBinary?: string },
    token: string,
    stages: string[] = ['AWSCURRENT'],
  ): SecretVersion {
    const now = new Date(context.now());
    if (stages.includes('AWSCURRENT')) {
      for (const version of secret.versions)
        version.stages = version.stages.filter((stage) => stage !== 'AWSPREVIOUS');
      const current = secret.versions.find((version) => version.stages.includes('AWSCURRENT'));
      if (current)
        current.stages = [...current.stages.filter((stage) => stage !== 'AWSCURRENT'), 'AWSPREVIOUS'];
    }
    for (const version of secret.versions)
      version.stages = version.stages.filter((stage) => stage === 'AWSPREVIOUS' || !stages.includes(stage));
    const version: SecretVersion = { versionId: token, ...value, stages: [...stages], createdAt: now };
    secret.versions.push(version);
    secret.lastChangedAt = now;
    return version;
  }

  function requireLive(region: string, secretId: string): SecretRecord {
    const secret = store.require(region, secretId);
    if (secret.deletedAt) throw markedForDeletion();
    return secret;
  }

  const operations: Record<string, OperationHandler> = {
    CreateSecret(input, call) {
      const name = requireString('name', input.Name, { min: 1, max: 512, pattern: namePattern });
      const token = readToken(input) ?? ids.uuid();
      const value = readValue(input);
      const description = checkString('description', input.Description, { max: 2048 });
      const kmsKeyId = checkString('kmsKeyId', input.KmsKeyId, { max: 2048 });
      const tags = readTags(input.Tags);
      const existing = store.find(call.region, name);
      if (existing) {
        const retried = existing.versions.find((version) => version.versionId === token);
        if (retried && !existing.deletedAt) {
          if (!sameValue(retried, value))
            throw new AwsError(
              'ResourceExistsException',
              "You can't modify an existing version, you can only create a new version.",
            );
          return { ARN: existing.arn, Name: existing.name, VersionId: retried.versionId };
        }
        if (existing.deletedAt)
          throw new AwsError(
            'InvalidRequestException',
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
          );
        throw new AwsError(
          'ResourceExistsException',
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const now = new Date(context.now());
      const secret: SecretRecord = {
        arn: store.arnFor(call.region, call.accountId, name),
        name,
        region: call.region,
        ...(description !== undefined ? { description } : {}),
        ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
        tags,
        versions: [],
        createdAt: now,
        lastChangedAt: now,
      };
      store.add(secret);
      const hasValue = value.secretString !== undefined || value.secretBinary !== undefined;
      const version = hasValue ? addVersion(secret, value, token) : undefined;
      return { ARN: secret.arn, Name: secret.name, VersionId: version?.versionId };
    },

    DescribeSecret(input, call) {
      const secret = store.require(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      return describe(secret, 'VersionIdsToStages');
    },

    GetSecretValue(input, call) {
      const secret = requireLive(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      const versionId = checkString('versionId', input.VersionId, { min: 32, max: 64 });
      const stage = checkString('versionStage', input.VersionStage, stagePattern);
      const version = versionId
        ? secret.versions.find((candidate) => candidate.versionId === versionId)
        : secret.versions.find((candidate) => candidate.stages.includes(stage ?? 'AWSCURRENT'));
      if (!version)
        throw new AwsError(
          'ResourceNotFoundException',
          versionId
            ? `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`
            : `Secrets Manager can't find the specified secret value for staging label: ${stage ?? 'AWSCURRENT'}`,
        );
      if (versionId && stage && !version.stages.includes(stage))
        throw new AwsError(
          'ResourceNotFoundException',
          `Secrets Manager can't find the specified secret value for VersionId: ${versionId} and staging label: ${stage}`,
        );
      secret.lastAccessedAt = new Date(context.now());
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        SecretString: version.secretString,
        SecretBinary: version.secretBinary,
        VersionStages: version.stages,
        CreatedDate: version.createdAt,
      };
    },

    PutSecretValue(input, call) {
      const secret = requireLive(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      const token = readToken(input) ?? ids.uuid();
      const value = readValue(input);
      if (value.secretString === undefined && value.secretBinary === undefined)
        throw invalidParameter('You must provide either SecretString or SecretBinary.');
      const stages = checkList('versionStages', input.VersionStages, { min: 1, max: 20 })?.map(
        (stage, index) => requireString(`versionStages.${index + 1}.member`, stage, stagePattern),
      );
      const existing = secret.versions.find((version) => version.versionId === token);
      if (existing) {
        if (!sameValue(existing, value))
          throw new AwsError(
            'ResourceExistsException',
            "You can't modify an existing version, you can only create a new version.",
          );
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: existing.versionId,
          VersionStages: existing.stages,
        };
      }
      const version = addVersion(secret, value, token, stages);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.versionId,
        VersionStages: version.stages,
      };
    },

    UpdateSecret(input, call) {
      const secret = requireLive(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      const token = readToken(input) ?? ids.uuid();
      const value = readValue(input);
      const description = checkString('description', input.Description, { max: 2048 });
      const kmsKeyId = checkString('kmsKeyId', input.KmsKeyId, { max: 2048 });
      if (description !== undefined) secret.description = description;
      if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
      secret.lastChangedAt = new Date(context.now());
      if (value.secretString === undefined && value.secretBinary === undefined)
        return { ARN: secret.arn, Name: secret.name };
      const existing = secret.versions.find((version) => version.versionId === token);
      if (existing && !sameValue(existing, value))
        throw new AwsError(
          'ResourceExistsException',
          "You can't modify an existing version, you can only create a new version.",
        );
      const version = existing ?? addVersion(secret, value, token);
      return { ARN: secret.arn, Name: secret.name, VersionId: version.versionId };
    },

    ListSecretVersionIds(input, call) {
      const secret = requireLive(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      const includeDeprecated = checkBoolean('includeDeprecated', input.IncludeDeprecated) ?? false;
      const maxResults = checkInteger('maxResults', input.MaxResults, { min: 1, max: 100 }) ?? 100;
      const versions = secret.versions.filter((version) => includeDeprecated || version.stages.length > 0);
      const page = paginate(versions, input.NextToken, maxResults);
      if (!page) throw invalidParameter('Invalid NextToken.');
      return {
        ARN: secret.arn,
        Name: secret.name,
        Versions: page.page.map((version) => ({
          VersionId: version.versionId,
          VersionStages: version.stages,
          CreatedDate: version.createdAt,
        })),
        NextToken: page.nextToken,
      };
    },

    DeleteSecret(input, call) {
      const secret = store.require(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      const window = checkInteger('recoveryWindowInDays', input.RecoveryWindowInDays);
      const force = checkBoolean('forceDeleteWithoutRecovery', input.ForceDeleteWithoutRecovery) ?? false;
      if (force && window !== undefined)
        throw invalidParameter(
          "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        );
      if (window !== undefined && (window < 7 || window > 30))
        throw invalidParameter('The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).');
      const now = context.now();
      if (force) {
        store.remove(secret);
        return { ARN: secret.arn, Name: secret.name, DeletionDate: new Date(now) };
      }
      if (secret.deletedAt) throw markedForDeletion();
      secret.deletedAt = new Date(now);
      secret.deletionDate = new Date(now + (window ?? 30) * 86_400_000);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: secret.deletionDate };
    },

    RestoreSecret(input, call) {
      const secret = store.require(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      delete secret.deletedAt;
      delete secret.deletionDate;
      return { ARN: secret.arn, Name: secret.name };
    },

    ListSecrets(input, call) {
      const includeDeleted = checkBoolean('includePlannedDeletion', input.IncludePlannedDeletion) ?? false;
      const maxResults = checkInteger('maxResults', input.MaxResults, { min: 1, max: 100 }) ?? 100;
      const filters = (checkList('filters', input.Filters, { max: 10 }) ?? []).map((filter, index) => {
        const entry = checkObject(`filters.${index + 1}.member`, filter, true) as Json;
        return {
          key: checkString(`filters.${index + 1}.member.key`, entry.Key, {
            enum: ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'],
          }),
          values: (
            checkList(`filters.${index + 1}.member.values`, entry.Values, { min: 1, max: 10 }) ?? []
          ).map(String),
        };
      });
      const fields = (secret: SecretRecord, key: string | undefined): string[] => {
        switch (key) {
          case 'name':
            return [secret.name];
          case 'description':
            return [secret.description ?? ''];
          case 'tag-key':
            return secret.tags.map((tag) => tag.Key);
          case 'tag-value':
            return secret.tags.map((tag) => tag.Value);
          case 'primary-region':
            return [secret.region];
          case 'owning-service':
            return [];
          default:
            return [
              secret.name,
              secret.description ?? '',
              ...secret.tags.flatMap((tag) => [tag.Key, tag.Value]),
            ];
        }
      };
      // Values match as prefixes (case-sensitive); a value starting with `!` negates.
      const matching = store
        .all(call.region)
        .filter((secret) => includeDeleted || !secret.deletedAt)
        .filter((secret) =>
          filters.every((filter) =>
            filter.values.some((value) => {
              const negate = value.startsWith('!');
              const prefix = negate ? value.slice(1) : value;
              const hit = fields(secret, filter.key).some((field) => field.startsWith(prefix));
              return negate ? !hit : hit;
            }),
          ),
        )
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      const page = paginate(matching, input.NextToken, maxResults);
      if (!page) throw invalidParameter('Invalid NextToken.');
      return {
        SecretList: page.page.map((secret) => describe(secret, 'SecretVersionsToStages')),
        NextToken: page.nextToken,
      };
    },

    TagResource(input, call) {
      const secret = store.require(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      const tags = readTags(checkList('tags', input.Tags, { required: true }));
      for (const tag of tags) secret.tags = [...secret.tags.filter((other) => other.Key !== tag.Key), tag];
      return {};
    },

    UntagResource(input, call) {
      const secret = store.require(
        call.region,
        requireString('secretId', input.SecretId, { min: 1, max: 2048 }),
      );
      const keys = (checkList('tagKeys', input.TagKeys, { required: true }) ?? []).map(String);
      secret.tags = secret.tags.filter((tag) => !keys.includes(tag.Key));
      return {};
    },
  };

  return {
    targetPrefix: 'secretsmanager',
    signingName: 'secretsmanager',
    jsonVersion: '1.1',
    messageField: 'Message',
    operations,
  };
}
