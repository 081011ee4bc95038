import type { EmulatorContext, RpcHandler } from '../emulator-context.js';
import { ids, timestamp } from '../projects.js';
import { paginate } from '../rpc/paginate.js';
import { snakeCase } from '../rpc/proto-json.js';
import { invalidArgument, type JsonObject, RpcError } from '../rpc/rpc-error.js';
import { crc32c } from './crc32c.js';
import { compileFilter } from './secret-filter.js';
import type { SecretRecord, SecretStore, SecretVersionRecord } from './secret-store.js';

const prefix = 'google.cloud.secretmanager.v1.SecretManagerService.';
const secretIdPattern = /^[a-zA-Z0-9_-]{1,255}$/;
const labelKeyPattern = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const labelValuePattern = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const updatableFields = new Set([
  'labels',
  'annotations',
  'topics',
  'rotation',
  'expire_time',
  'ttl',
  'version_aliases',
  'version_destroy_ttl',
]);
const maxPayloadBytes = 65_536;

function regionalUnsupported(): RpcError {
  return new RpcError(
    'UNIMPLEMENTED',
    'Regional secrets (projects/*/locations/*/secrets) are not implemented by the Berth GCP emulator.',
  );
}

/** The Secret Manager v1 RPCs the emulator implements. */
export function secretManagerHandlers(context: EmulatorContext, store: SecretStore): Map<string, RpcHandler> {
  const { projects } = context;

  function projectNumber(parent: string, field: string): string {
    if (/^projects\/[^/]+\/locations\//.test(parent)) throw regionalUnsupported();
    const match = /^projects\/([^/]+)$/.exec(parent);
    if (!match?.[1]) throw invalidArgument(field, `Invalid resource field value in the request: ${parent}`);
    projects.validate(match[1], field);
    return projects.numberOf(match[1]);
  }

  function secretNameOf(name: string, field: string): string {
    if (/^projects\/[^/]+\/locations\//.test(name)) throw regionalUnsupported();
    const match = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(name);
    if (!match?.[1] || !match[2])
      throw invalidArgument(field, `Invalid resource field value in the request: ${name}`);
    return `projects/${projects.numberOf(match[1])}/secrets/${match[2]}`;
  }

  function requireSecret(name: string, field = 'name'): SecretRecord {
    const canonical = secretNameOf(name, field);
    const secret = store.secrets.get(canonical);
    if (!secret) throw new RpcError('NOT_FOUND', `Secret [${canonical}] not found.`);
    return secret;
  }

  function requireVersion(name: string): { secret: SecretRecord; version: SecretVersionRecord } {
    const match = /^(projects\/[^/]+\/secrets\/[^/]+)\/versions\/([^/]+)$/.exec(name);
    if (!match?.[1] || !match[2]) {
      if (/^projects\/[^/]+\/locations\//.test(name)) throw regionalUnsupported();
      throw invalidArgument('name', `Invalid resource field value in the request: ${name}`);
    }
    const secret = requireSecret(match[1]);
    const requested = match[2];
    const aliases = (secret.resource.versionAliases as Record<string, string> | undefined) ?? {};
    const number =
      requested === 'latest' ? secret.versions.at(-1)?.number : Number(aliases[requested] ?? requested);
    const version = secret.versions.find((candidate) => candidate.number === number);
    if (!version)
      throw new RpcError('NOT_FOUND', `Secret Version [${secret.name}/versions/${requested}] not found.`);
    return { secret, version };
  }

  function checkEtag(current: unknown, requested: unknown): void {
    if (typeof requested === 'string' && requested !== '' && requested !== current)
      throw new RpcError(
        'ABORTED',
        'The etag provided in the request does not match the current etag of the resource.',
      );
  }

  function validateLabels(labels: unknown): void {
    const entries = Object.entries((labels as Record<string, string> | undefined) ?? {});
    if (entries.length > 64)
      throw invalidArgument('secret.labels', 'No more than 64 labels can be assigned to a secret.');
    for (const [key, value] of entries) {
      if (!labelKeyPattern.test(key)) throw invalidArgument('secret.labels', `Invalid label key: '${key}'.`);
      if (!labelValuePattern.test(value))
        throw invalidArgument('secret.labels', `Invalid label value for key '${key}'.`);
    }
  }

  function transition(
    name: string,
    etag: unknown,
    to: 'ENABLED' | 'DISABLED' | 'DESTROYED',
    permission: string,
  ): JsonObject {
    const { secret, version } = requireVersion(name);
    context.checkPermission(permission, version.resource.name as string);
    checkEtag(version.resource.etag, etag);
    if (version.resource.state === 'DESTROYED')
      throw new RpcError('FAILED_PRECONDITION', 'SecretVersion.state is already DESTROYED.');
    version.resource.state = to;
    version.resource.etag = ids.etag();
    if (to === 'DESTROYED') {
      delete version.data;
      version.resource.destroyTime = timestamp(new Date());
    }
    void secret;
    return version.resource;
  }

  const handlers: Record<string, RpcHandler> = {
    CreateSecret(request) {
      const number = projectNumber(String(request.parent), 'parent');
      const secretId = String(request.secretId);
      if (!secretIdPattern.test(secretId))
        throw invalidArgument(
          'secret_id',
          'Secret ID must contain only letters, numbers, underscores and hyphens, and be at most 255 characters long.',
        );
      const input = request.secret as JsonObject;
      if (!input.replication)
        throw invalidArgument('secret.replication', 'Secret.replication must be specified.');
      validateLabels(input.labels);
      const name = `projects/${number}/secrets/${secretId}`;
      context.checkPermission('secretmanager.secrets.create', `projects/${number}`);
      if (store.secrets.has(name)) throw new RpcError('ALREADY_EXISTS', `Secret [${name}] already exists.`);
      const { ttl, ...rest } = input;
      const resource: JsonObject = {
        ...rest,
        name,
        createTime: timestamp(new Date()),
        etag: ids.etag(),
        ...(typeof ttl === 'string'
          ? { expireTime: timestamp(new Date(Date.now() + Number.parseFloat(ttl) * 1000)) }
          : {}),
      };
      store.secrets.set(name, { name, resource, versions: [], nextVersion: 1 });
      return resource;
    },
    GetSecret(request) {
      const secret = requireSecret(String(request.name));
      context.checkPermission('secretmanager.secrets.get', secret.name);
      return secret.resource;
    },
    ListSecrets(request) {
      const number = projectNumber(String(request.parent), 'parent');
      context.checkPermission('secretmanager.secrets.list', `projects/${number}`);
      const matches = compileFilter(String(request.filter ?? ''));
      const all = [...store.secrets.values()]
        .filter((secret) => secret.name.startsWith(`projects/${number}/secrets/`))
        .map((secret) => secret.resource)
        .filter(matches)
        .sort((left, right) => String(left.name).localeCompare(String(right.name)));
      const { page, nextPageToken } = paginate(all, request.pageSize, request.pageToken, 25_000);
      return { secrets: page, nextPageToken, totalSize: all.length };
    },
    UpdateSecret(request) {
      const input = request.secret as JsonObject;
      const secret = requireSecret(String(input.name), 'secret.name');
      context.checkPermission('secretmanager.secrets.update', secret.name);
      checkEtag(secret.resource.etag, input.etag);
      const paths = String(request.updateMask ?? '')
        .split(',')
        .map((path) => snakeCase(path.trim()))
        .filter(Boolean);
      if (paths.length === 0) throw invalidArgument('update_mask', 'update_mask must be specified.');
      for (const path of paths) {
        if (path === 'replication')
          throw invalidArgument('update_mask', 'Secret.replication cannot be updated.');
        if (!updatableFields.has(path))
          throw invalidArgument('update_mask', `Invalid update_mask path: '${path}'.`);
        const key = path.replace(/_([a-z])/g, (_m, letter: string) => letter.toUpperCase());
        if (key === 'labels') validateLabels(input.labels);
        if (input[key] === undefined) delete secret.resource[key];
        else secret.resource[key] = input[key] ?? null;
      }
      secret.resource.etag = ids.etag();
      return secret.resource;
    },
    DeleteSecret(request) {
      const secret = requireSecret(String(request.name));
      context.checkPermission('secretmanager.secrets.delete', secret.name);
      checkEtag(secret.resource.etag, request.etag);
      store.secrets.delete(secret.name);
      context.iam.delete(secret.name);
      return {};
    },
    AddSecretVersion(request) {
      const secret = requireSecret(String(request.parent), 'parent');
      context.checkPermission('secretmanager.versions.add', secret.name);
      const payload = request.payload as JsonObject;
      const data = Buffer.from(String(payload.data ?? ''), 'base64');
      if (data.length > maxPayloadBytes)
        throw invalidArgument('payload.data', `Secret Payload cannot exceed ${maxPayloadBytes} bytes.`);
      const checksum = payload.dataCrc32c;
      if (checksum !== undefined && String(crc32c(data)) !== String(checksum))
        throw invalidArgument(
          'payload.data_crc32c',
          'Checksum mismatch: the data_crc32c provided does not match the payload.',
        );
      const number = secret.nextVersion;
      secret.nextVersion += 1;
      const resource: JsonObject = {
        name: `${secret.name}/versions/${number}`,
        createTime: timestamp(new Date()),
        state: 'ENABLED',
        replicationStatus: { automatic: {} },
        etag: ids.etag(),
        clientSpecifiedPayloadChecksum: checksum !== undefined,
      };
      secret.versions.push({ number, resource, data });
      return resource;
    },
    GetSecretVersion(request) {
      const { version } = requireVersion(String(request.name));
      context.checkPermission('secretmanager.versions.get', version.resource.name as string);
      return version.resource;
    },
    ListSecretVersions(request) {
      const secret = requireSecret(String(request.parent), 'parent');
      context.checkPermission('secretmanager.versions.list', secret.name);
      const matches = compileFilter(String(request.filter ?? ''));
      const all = [...secret.versions]
        .reverse()
        .map((version) => version.resource)
        .filter(matches);
      const { page, nextPageToken } = paginate(all, request.pageSize, request.pageToken, 25_000);
      return { versions: page, nextPageToken, totalSize: all.length };
    },
    AccessSecretVersion(request) {
      const { version } = requireVersion(String(request.name));
      context.checkPermission('secretmanager.versions.access', version.resource.name as string);
      if (version.resource.state !== 'ENABLED' || !version.data)
        throw new RpcError(
          'FAILED_PRECONDITION',
          `Secret Version [${String(version.resource.name)}] is in ${String(version.resource.state)} state.`,
        );
      return {
        name: version.resource.name as string,
        payload: { data: version.data.toString('base64'), dataCrc32c: String(crc32c(version.data)) },
      };
    },
    DisableSecretVersion: (request) =>
      transition(String(request.name), request.etag, 'DISABLED', 'secretmanager.versions.disable'),
    EnableSecretVersion: (request) =>
      transition(String(request.name), request.etag, 'ENABLED', 'secretmanager.versions.enable'),
    DestroySecretVersion: (request) =>
      transition(String(request.name), request.etag, 'DESTROYED', 'secretmanager.versions.destroy'),
    GetIamPolicy(request) {
      const secret = requireSecret(String(request.resource), 'resource');
      context.checkPermission('secretmanager.secrets.getIamPolicy', secret.name);
      return context.iam.get(secret.name);
    },
    SetIamPolicy(request) {
      const secret = requireSecret(String(request.resource), 'resource');
      context.checkPermission('secretmanager.secrets.setIamPolicy', secret.name);
      return context.iam.set(secret.name, request.policy as JsonObject);
    },
  };
  return new Map(Object.entries(handlers).map(([name, handler]) => [`${prefix}${name}`, handler]));
}
