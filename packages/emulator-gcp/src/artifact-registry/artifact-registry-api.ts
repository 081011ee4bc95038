import type { EmulatorContext, RpcHandler } from '../emulator-context.js';
import { timestamp } from '../projects.js';
import { paginate } from '../rpc/paginate.js';
import { invalidArgument, type JsonObject, RpcError } from '../rpc/rpc-error.js';

const prefix = 'google.devtools.artifactregistry.v1.ArtifactRegistry.';
const repositoryIdPattern = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const metadataType = 'type.googleapis.com/google.devtools.artifactregistry.v1.OperationMetadata';

/** Options of the Artifact Registry part. */
export interface ArtifactRegistryOptions {
  /** Docker host reported in `registryUri`; default `${location}-docker.pkg.dev`. */
  dockerHost?: (location: string) => string;
}

/**
 * Artifact Registry v1 repositories (create/get/list/delete) and their operations. Images are not
 * modelled here: they live in the local registry the emulator is pointed at.
 */
export function artifactRegistryHandlers(
  context: EmulatorContext,
  options: ArtifactRegistryOptions = {},
): Map<string, RpcHandler> {
  const repositories = new Map<string, JsonObject>();
  const dockerHost = options.dockerHost ?? ((location: string) => `${location}-docker.pkg.dev`);

  function parseParent(parent: string): { project: string; location: string } {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent);
    if (!match?.[1] || !match[2]) throw invalidArgument('parent', `Invalid parent: ${parent}`);
    context.projects.validate(match[1], 'parent');
    return { project: match[1], location: match[2] };
  }

  function keyOf(name: string): string {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)\/repositories\/([^/]+)$/.exec(name);
    if (!match?.[1] || !match[2] || !match[3])
      throw invalidArgument('name', `Invalid resource name: ${name}`);
    return `${context.projects.numberOf(match[1])}/${match[2]}/${match[3]}`;
  }

  function requireRepository(name: string): JsonObject {
    const repository = repositories.get(keyOf(name));
    if (!repository) throw new RpcError('NOT_FOUND', 'Requested entity was not found.');
    return repository;
  }

  const handlers: Record<string, RpcHandler> = {
    CreateRepository(request) {
      const parent = String(request.parent);
      const { project, location } = parseParent(parent);
      const repositoryId = String(request.repositoryId);
      if (!repositoryIdPattern.test(repositoryId))
        throw invalidArgument(
          'repository_id',
          'Repository ID must start with a lowercase letter, contain only lowercase letters, numbers and hyphens, and be at most 63 characters long.',
        );
      const input = request.repository as JsonObject;
      if (!input.format || input.format === 'FORMAT_UNSPECIFIED')
        throw invalidArgument('repository.format', 'Repository format must be specified.');
      const name = `${parent}/repositories/${repositoryId}`;
      context.checkPermission('artifactregistry.repositories.create', parent);
      if (repositories.has(keyOf(name)))
        throw new RpcError('ALREADY_EXISTS', 'the repository already exists');
      const now = timestamp(new Date());
      const repository: JsonObject = {
        ...input,
        name,
        mode: input.mode && input.mode !== 'MODE_UNSPECIFIED' ? input.mode : 'STANDARD_REPOSITORY',
        createTime: now,
        updateTime: now,
        sizeBytes: '0',
        ...(input.format === 'DOCKER'
          ? { registryUri: `${dockerHost(location)}/${project}/${repositoryId}` }
          : {}),
      };
      repositories.set(keyOf(name), repository);
      return context.operations.start(parent, { '@type': metadataType }, async () => ({
        '@type': 'type.googleapis.com/google.devtools.artifactregistry.v1.Repository',
        ...repository,
      }));
    },
    GetRepository(request) {
      const repository = requireRepository(String(request.name));
      context.checkPermission('artifactregistry.repositories.get', String(request.name));
      return repository;
    },
    ListRepositories(request) {
      const parent = String(request.parent);
      parseParent(parent);
      context.checkPermission('artifactregistry.repositories.list', parent);
      if (request.filter)
        throw invalidArgument(
          'filter',
          'The Berth GCP emulator does not support list filters for repositories.',
        );
      const prefixKey = keyOf(`${parent}/repositories/x`).replace(/x$/, '');
      const all = [...repositories.entries()]
        .filter(([key]) => key.startsWith(prefixKey))
        .map(([, repository]) => repository)
        .sort((left, right) => String(left.name).localeCompare(String(right.name)));
      const { page, nextPageToken } = paginate(all, request.pageSize, request.pageToken, 1000);
      return { repositories: page, nextPageToken };
    },
    DeleteRepository(request) {
      const name = String(request.name);
      requireRepository(name);
      context.checkPermission('artifactregistry.repositories.delete', name);
      repositories.delete(keyOf(name));
      const parent = name.replace(/\/repositories\/[^/]+$/, '');
      return context.operations.start(parent, { '@type': metadataType }, async () => ({
        '@type': 'type.googleapis.com/google.protobuf.Empty',
      }));
    },
  };
  const map = new Map(Object.entries(handlers).map(([name, handler]) => [`${prefix}${name}`, handler]));
  map.set('google.longrunning.Operations.GetOperation@artifactregistry.googleapis.com', (request) =>
    context.operations.get(String(request.name)),
  );
  return map;
}
