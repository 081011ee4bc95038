import type { EmulatorContext } from '../emulator-context.js';
import { AwsError } from '../protocol/aws-error.js';
import type { Json, JsonApi, OperationHandler } from '../protocol/dispatch.js';
import { paginate } from '../protocol/ids.js';
import {
  checkBoolean,
  checkInteger,
  checkList,
  checkObject,
  checkString,
  requireString,
} from '../protocol/validate.js';
import {
  deleteRegistryManifest,
  getRegistryManifest,
  type LocalRegistry,
  listRegistryImages,
} from './local-registry.js';

const repositoryNamePattern = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const repositoryNameText = '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*';
const registryIdPattern = /^[0-9]{12}$/;
const digestPattern = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;

interface RepositoryRecord {
  region: string;
  name: string;
  arn: string;
  uri: string;
  createdAt: Date;
  imageTagMutability: string;
  scanOnPush: boolean;
  encryptionType: string;
  tags: { Key: string; Value: string }[];
}

/** The host of a private ECR registry: `<account>.dkr.ecr.<region>.amazonaws.com`. */
export function ecrHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com`;
}

/** Maps an ECR image URI to the same repository in the local registry; other references are unchanged. */
export function toLocalImage(image: string, registry: LocalRegistry): string {
  const match = /^[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/(.+)$/.exec(image);
  return match ? `${registry.host}/${match[1]}` : image;
}

/** Settings of the ECR part. */
export interface EcrOptions {
  registry: LocalRegistry;
  /** How long an authorization token is valid. AWS: 12 hours. */
  tokenValidityMs?: number;
}

/**
 * ECR (awsJson1_1, `AmazonEC2ContainerRegistry_V20150921.*`): repositories are kept here; their
 * images live in the local registry, which `GetAuthorizationToken`'s `proxyEndpoint` names.
 */
export function ecrApi(context: EmulatorContext, options: EcrOptions): JsonApi {
  const repositories = new Map<string, RepositoryRecord>();
  const key = (region: string, name: string) => `${region}/${name}`;

  function checkRegistryId(input: Json, accountId: string): void {
    const registryId = checkString('registryId', input.registryId, {
      pattern: registryIdPattern,
      patternText: '[0-9]{12}',
    });
    if (registryId !== undefined && registryId !== accountId)
      throw new AwsError(
        'AccessDeniedException',
        `User is not authorized to access registry ${registryId}: it belongs to another account.`,
      );
  }

  function readName(input: Json): string {
    return requireString('repositoryName', input.repositoryName, {
      min: 2,
      max: 256,
      pattern: repositoryNamePattern,
      patternText: repositoryNameText,
    });
  }

  function notFound(name: string, accountId: string): AwsError {
    return new AwsError(
      'RepositoryNotFoundException',
      `The repository with name '${name}' does not exist in the registry with id '${accountId}'`,
    );
  }

  function requireRepository(region: string, name: string, accountId: string): RepositoryRecord {
    const repository = repositories.get(key(region, name));
    if (!repository) throw notFound(name, accountId);
    return repository;
  }

  function toJson(repository: RepositoryRecord, accountId: string): Json {
    return {
      repositoryArn: repository.arn,
      registryId: accountId,
      repositoryName: repository.name,
      repositoryUri: repository.uri,
      createdAt: repository.createdAt,
      imageTagMutability: repository.imageTagMutability,
      imageScanningConfiguration: { scanOnPush: repository.scanOnPush },
      encryptionConfiguration: { encryptionType: repository.encryptionType },
    };
  }

  function readTags(value: unknown): { Key: string; Value: string }[] {
    return (checkList('tags', value, { max: 200 }) ?? []).map((tag, index) => {
      const entry = checkObject(`tags.${index + 1}.member`, tag, true) as Json;
      return {
        Key: requireString(`tags.${index + 1}.member.key`, entry.Key, { min: 1, max: 128 }),
        Value: requireString(`tags.${index + 1}.member.value`, entry.Value, { max: 256 }),
      };
    });
  }

  function readImageIds(value: unknown): { imageDigest?: string; imageTag?: string }[] {
    return (checkList('imageIds', value, { required: true, min: 1, max: 100 }) ?? []).map((id, index) => {
      const entry = checkObject(`imageIds.${index + 1}.member`, id, true) as Json;
      const imageDigest = checkString(`imageIds.${index + 1}.member.imageDigest`, entry.imageDigest, {
        pattern: digestPattern,
      });
      const imageTag = checkString(`imageIds.${index + 1}.member.imageTag`, entry.imageTag, {
        min: 1,
        max: 300,
      });
      if (!imageDigest && !imageTag)
        throw new AwsError(
          'InvalidParameterException',
          'Invalid parameter: an imageId needs an imageDigest or an imageTag.',
        );
      return { ...(imageDigest ? { imageDigest } : {}), ...(imageTag ? { imageTag } : {}) };
    });
  }

  function repositoryOfArn(arn: string, region: string, accountId: string): RepositoryRecord {
    const match = /^arn:aws:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/.exec(arn);
    if (!match?.[3])
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`,
      );
    return requireRepository(match[1] ?? region, match[3], accountId);
  }

  const operations: Record<string, OperationHandler> = {
    CreateRepository(input, call) {
      checkRegistryId(input, call.accountId);
      const name = readName(input);
      const mutability =
        checkString('imageTagMutability', input.imageTagMutability, {
          enum: ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'],
        }) ?? 'MUTABLE';
      const scanning = checkObject('imageScanningConfiguration', input.imageScanningConfiguration);
      const encryption = checkObject('encryptionConfiguration', input.encryptionConfiguration);
      const encryptionType = encryption
        ? requireString('encryptionConfiguration.encryptionType', encryption.encryptionType, {
            enum: ['AES256', 'KMS', 'KMS_DSSE'],
          })
        : 'AES256';
      const tags = readTags(input.tags);
      if (repositories.has(key(call.region, name)))
        throw new AwsError(
          'RepositoryAlreadyExistsException',
          `The repository with name '${name}' already exists in the registry with id '${call.accountId}'`,
        );
      const repository: RepositoryRecord = {
        region: call.region,
        name,
        arn: `arn:aws:ecr:${call.region}:${call.accountId}:repository/${name}`,
        uri: `${ecrHost(call.accountId, call.region)}/${name}`,
        createdAt: new Date(context.now()),
        imageTagMutability: mutability,
        scanOnPush: checkBoolean('imageScanningConfiguration.scanOnPush', scanning?.scanOnPush) ?? false,
        encryptionType,
        tags,
      };
      repositories.set(key(call.region, name), repository);
      return { repository: toJson(repository, call.accountId) };
    },

    DescribeRepositories(input, call) {
      checkRegistryId(input, call.accountId);
      const names = checkList('repositoryNames', input.repositoryNames, { min: 1, max: 100 })?.map(
        (name, index) =>
          requireString(`repositoryNames.${index + 1}.member`, name, {
            min: 2,
            max: 256,
            pattern: repositoryNamePattern,
            patternText: repositoryNameText,
          }),
      );
      const maxResults = checkInteger('maxResults', input.maxResults, { min: 1, max: 1000 }) ?? 1000;
      if (names && input.nextToken !== undefined)
        throw new AwsError(
          'InvalidParameterException',
          'Invalid parameter: nextToken cannot be used with repositoryNames.',
        );
      const found = names
        ? names.map((name) => requireRepository(call.region, name, call.accountId))
        : [...repositories.values()].filter((repository) => repository.region === call.region);
      const page = paginate(found, input.nextToken, maxResults);
      if (!page)
        throw new AwsError('InvalidParameterException', 'Invalid parameter: nextToken is not valid.');
      return {
        repositories: page.page.map((repository) => toJson(repository, call.accountId)),
        nextToken: page.nextToken,
      };
    },

    async DeleteRepository(input, call) {
      checkRegistryId(input, call.accountId);
      const name = readName(input);
      const force = checkBoolean('force', input.force) ?? false;
      const repository = requireRepository(call.region, name, call.accountId);
      if (!force && (await listRegistryImages(options.registry, name)).length > 0)
        throw new AwsError(
          'RepositoryNotEmptyException',
          `The repository with name '${name}' in registry with id '${call.accountId}' cannot be deleted because it still contains images`,
        );
      // `force` deletes the images too, as ECR does.
      if (force)
        for (const image of await listRegistryImages(options.registry, name))
          await deleteRegistryManifest(options.registry, name, image.digest);
      repositories.delete(key(call.region, name));
      return { repository: toJson(repository, call.accountId) };
    },

    async ListImages(input, call) {
      checkRegistryId(input, call.accountId);
      const name = readName(input);
      requireRepository(call.region, name, call.accountId);
      const maxResults = checkInteger('maxResults', input.maxResults, { min: 1, max: 1000 }) ?? 100;
      const images = await listRegistryImages(options.registry, name);
      const ids = images.flatMap((image) =>
        image.tags.map((tag) => ({ imageDigest: image.digest, imageTag: tag })),
      );
      const page = paginate(ids, input.nextToken, maxResults);
      if (!page)
        throw new AwsError('InvalidParameterException', 'Invalid parameter: nextToken is not valid.');
      return { imageIds: page.page, nextToken: page.nextToken };
    },

    async BatchGetImage(input, call) {
      checkRegistryId(input, call.accountId);
      const name = readName(input);
      requireRepository(call.region, name, call.accountId);
      const wanted = readImageIds(input.imageIds);
      const images: Json[] = [];
      const failures: Json[] = [];
      for (const id of wanted) {
        const manifest = await getRegistryManifest(
          options.registry,
          name,
          id.imageDigest ?? id.imageTag ?? '',
        );
        if (!manifest || (id.imageDigest && id.imageTag && manifest.digest !== id.imageDigest)) {
          failures.push({
            imageId: id,
            failureCode: 'ImageNotFound',
            failureReason: 'Requested image not found',
          });
          continue;
        }
        images.push({
          registryId: call.accountId,
          repositoryName: name,
          imageId: { imageDigest: manifest.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
          imageManifest: manifest.body,
          imageManifestMediaType: manifest.mediaType,
        });
      }
      return { images, failures };
    },

    async BatchDeleteImage(input, call) {
      checkRegistryId(input, call.accountId);
      const name = readName(input);
      requireRepository(call.region, name, call.accountId);
      const wanted = readImageIds(input.imageIds);
      const imageIds: Json[] = [];
      const failures: Json[] = [];
      for (const id of wanted) {
        const manifest = await getRegistryManifest(
          options.registry,
          name,
          id.imageDigest ?? id.imageTag ?? '',
        );
        if (!manifest || !(await deleteRegistryManifest(options.registry, name, manifest.digest))) {
          failures.push({
            imageId: id,
            failureCode: 'ImageNotFound',
            failureReason: 'Requested image not found',
          });
          continue;
        }
        imageIds.push({ imageDigest: manifest.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) });
      }
      return { imageIds, failures };
    },

    async DescribeImages(input, call) {
      checkRegistryId(input, call.accountId);
      const name = readName(input);
      requireRepository(call.region, name, call.accountId);
      const wanted = (checkList('imageIds', input.imageIds, { min: 1, max: 100 }) ?? []).map((id, index) => {
        const entry = checkObject(`imageIds.${index + 1}.member`, id, true) as Json;
        return {
          imageDigest: checkString(`imageIds.${index + 1}.member.imageDigest`, entry.imageDigest, {
            pattern: digestPattern,
          }),
          imageTag: checkString(`imageIds.${index + 1}.member.imageTag`, entry.imageTag, {
            min: 1,
            max: 300,
          }),
        };
      });
      const maxResults = checkInteger('maxResults', input.maxResults, { min: 1, max: 1000 }) ?? 100;
      const images = await listRegistryImages(options.registry, name);
      const selected =
        wanted.length === 0
          ? images
          : wanted.map((id) => {
              const image = images.find(
                (candidate) =>
                  (id.imageDigest === undefined || candidate.digest === id.imageDigest) &&
                  (id.imageTag === undefined || candidate.tags.includes(id.imageTag)),
              );
              if (!image)
                throw new AwsError(
                  'ImageNotFoundException',
                  `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${call.accountId}'`,
                );
              return image;
            });
      const page = paginate(selected, input.nextToken, maxResults);
      if (!page)
        throw new AwsError('InvalidParameterException', 'Invalid parameter: nextToken is not valid.');
      return {
        imageDetails: page.page.map((image) => ({
          registryId: call.accountId,
          repositoryName: name,
          imageDigest: image.digest,
          imageTags: image.tags.length > 0 ? image.tags : undefined,
          imageSizeInBytes: image.sizeInBytes,
          imageManifestMediaType: image.mediaType,
          imageStatus: 'ACTIVE',
        })),
        nextToken: page.nextToken,
      };
    },

    GetAuthorizationToken(input) {
      const registryIds = checkList('registryIds', input.registryIds, { min: 1, max: 10 });
      for (const [index, id] of (registryIds ?? []).entries())
        requireString(`registryIds.${index + 1}.member`, id, {
          pattern: registryIdPattern,
          patternText: '[0-9]{12}',
        });
      const { username = 'AWS', password = '' } = options.registry;
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`${username}:${password}`).toString('base64'),
            expiresAt: new Date(context.now() + (options.tokenValidityMs ?? 12 * 3_600_000)),
            proxyEndpoint: `http://${options.registry.host}`,
          },
        ],
      };
    },

    ListTagsForResource(input, call) {
      const arn = requireString('resourceArn', input.resourceArn);
      return { tags: repositoryOfArn(arn, call.region, call.accountId).tags };
    },

    TagResource(input, call) {
      const repository = repositoryOfArn(
        requireString('resourceArn', input.resourceArn),
        call.region,
        call.accountId,
      );
      for (const tag of readTags(checkList('tags', input.tags, { required: true })))
        repository.tags = [...repository.tags.filter((other) => other.Key !== tag.Key), tag];
      return {};
    },

    UntagResource(input, call) {
      const repository = repositoryOfArn(
        requireString('resourceArn', input.resourceArn),
        call.region,
        call.accountId,
      );
      const keys = (checkList('tagKeys', input.tagKeys, { required: true }) ?? []).map(String);
      repository.tags = repository.tags.filter((tag) => !keys.includes(tag.Key));
      return {};
    },
  };

  return {
    targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
    signingName: 'ecr',
    jsonVersion: '1.1',
    messageField: 'message',
    operations,
  };
}
