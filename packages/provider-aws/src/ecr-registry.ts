import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  GetAuthorizationTokenCommand,
  ListImagesCommand,
} from '@aws-sdk/client-ecr';
import type { ImageTarget, PreflightCheck, ProviderContext, ServiceTarget } from '@berth/core';
import { ProviderError } from '@berth/core';
import type { AwsClients } from './aws-clients.js';
import { digestOf, ownedTags, repositoryName } from './aws-names.js';
import type { AwsSharedOptions } from './aws-options.js';
import type { RetryPolicy } from './with-retry.js';
import { withRetry } from './with-retry.js';

/** The credentials `GetAuthorizationToken` returns: base64 `AWS:<password>`, valid 12 h. */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0)
    throw new ProviderError(
      'PROVIDER_REQUEST_FAILED',
      'ECR returned an authorization token Berth cannot read',
      {
        hint: 'Retry; if it persists, report it.',
      },
    );
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The image reference a platform pulls: the ECR repository URI with the digest Berth pushed.
 * An image pushed through another host (a local registry standing in for ECR) keeps its digest.
 */
export function ecrImageIdentifier(repositoryUri: string, image: { ref: string; digest?: string }): string {
  const digest = image.digest ?? digestOf(image.ref);
  if (!digest?.startsWith('sha256:'))
    throw new ProviderError('IMAGE_PUSH_FAILED', `The image ${image.ref} has no digest to deploy by`, {
      hint: 'Let Berth build and push the image, or give `image.ref` as `<repository>@sha256:<digest>`.',
    });
  return `${repositoryUri}@${digest}`;
}

/** ECR: the service's repository (created and tagged when missing), push credentials, cleanup. */
export function ecrRegistry(input: {
  clients: () => AwsClients;
  options: Pick<AwsSharedOptions, 'repositoryPrefix' | 'tags' | 'registry'>;
  retry: (context: ProviderContext) => RetryPolicy;
}) {
  const uris = new Map<string, string>();
  const name = (target: ServiceTarget) => repositoryName(input.options.repositoryPrefix, target.service);

  async function describe(context: ProviderContext, repository: string) {
    try {
      const { repositories } = await withRetry(
        `describe ECR repository ${repository} (ecr:DescribeRepositories)`,
        input.retry(context),
        () => input.clients().ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repository] })),
      );
      return repositories?.[0];
    } catch (error) {
      if ((error as { code?: unknown }).code === 'PROVIDER_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** The repository URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`), creating the repository when missing. */
  async function ensure(context: ProviderContext, target: ServiceTarget): Promise<string> {
    const repository = name(target);
    const known = uris.get(repository);
    if (known) return known;
    let found = await describe(context, repository);
    if (!found) {
      try {
        const created = await withRetry(
          `create ECR repository ${repository} (ecr:CreateRepository)`,
          input.retry(context),
          () =>
            input.clients().ecr.send(
              new CreateRepositoryCommand({
                repositoryName: repository,
                imageTagMutability: 'MUTABLE',
                tags: ownedTags(target.service, input.options.tags),
              }),
            ),
        );
        found = created.repository;
        context.log('info', `created ECR repository ${repository}`);
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'PROVIDER_CONFLICT') throw error;
        found = await describe(context, repository);
      }
    }
    const uri = found?.repositoryUri;
    if (!uri)
      throw new ProviderError('PROVIDER_REQUEST_FAILED', `ECR did not return the URI of ${repository}`, {
        hint: 'Retry.',
      });
    uris.set(repository, uri);
    return uri;
  }

  return {
    ensure,
    /** Where the image builder pushes: the ECR proxy endpoint (or `registry.host`), with a fresh token; `platform` the image is built for. */
    async imageTarget(
      context: ProviderContext,
      target: ServiceTarget,
      platform = 'linux/amd64',
    ): Promise<ImageTarget> {
      await ensure(context, target);
      const { authorizationData } = await withRetry(
        'get an ECR authorization token (ecr:GetAuthorizationToken)',
        input.retry(context),
        () => input.clients().ecr.send(new GetAuthorizationTokenCommand({})),
      );
      const data = authorizationData?.[0];
      if (!data?.authorizationToken || !data.proxyEndpoint)
        throw new ProviderError('PROVIDER_REQUEST_FAILED', 'ECR returned no authorization data', {
          hint: 'Retry; check ecr:GetAuthorizationToken is allowed.',
        });
      const credentials = decodeAuthorizationToken(data.authorizationToken);
      context.redact?.(credentials.password);
      context.redact?.(data.authorizationToken);
      const host = input.options.registry.host ?? data.proxyEndpoint.replace(/^https?:\/\//, '');
      return { registry: host, repository: name(target), credentials, platform };
    },
    /** Delete the repository and its images, when Berth created it. */
    async remove(context: ProviderContext, target: ServiceTarget): Promise<string[]> {
      const repository = name(target);
      if (!(await describe(context, repository))) return [];
      const { imageIds } = await withRetry(
        `list images of ${repository} (ecr:ListImages)`,
        input.retry(context),
        () => input.clients().ecr.send(new ListImagesCommand({ repositoryName: repository })),
      );
      if (imageIds?.length)
        await withRetry(`delete images of ${repository} (ecr:BatchDeleteImage)`, input.retry(context), () =>
          input.clients().ecr.send(new BatchDeleteImageCommand({ repositoryName: repository, imageIds })),
        );
      await withRetry(
        `delete ECR repository ${repository} (ecr:DeleteRepository)`,
        input.retry(context),
        () =>
          input.clients().ecr.send(new DeleteRepositoryCommand({ repositoryName: repository, force: true })),
      );
      uris.delete(repository);
      return [`ecr-repository:${repository}`];
    },
    /** Preflight: ECR answers. */
    async check(context: ProviderContext): Promise<PreflightCheck> {
      try {
        await withRetry('list ECR repositories (ecr:DescribeRepositories)', input.retry(context), () =>
          input.clients().ecr.send(new DescribeRepositoriesCommand({ maxResults: 1 })),
        );
        return { name: 'api:ecr', ok: true };
      } catch (error) {
        const mapped = error as ProviderError;
        return {
          name: 'api:ecr',
          ok: false,
          message: mapped.message,
          ...(mapped.hint ? { hint: mapped.hint } : {}),
        };
      }
    },
  };
}

/** The ECR part of a provider. */
export type EcrRegistry = ReturnType<typeof ecrRegistry>;
