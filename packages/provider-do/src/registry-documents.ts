import { createHash } from 'node:crypto';
import { type JsonValue, type ProviderContext, ProviderError } from '@berth/core';
import { parseAuthChallenge, registryBaseUrl } from '@berth/core/plugin-kit';

/** Who reads and writes documents in a registry. */
export interface RegistryDocumentsOptions {
  host: string;
  credentials(context: ProviderContext): Promise<{ username: string; password: string }>;
  fetch?: typeof globalThis.fetch;
}

/** A small JSON document kept in a registry as an OCI artifact (one config blob, no layers) under a tag. */
export interface RegistryDocuments {
  read(context: ProviderContext, repository: string, tag: string): Promise<JsonValue | undefined>;
  write(context: ProviderContext, repository: string, tag: string, value: JsonValue): Promise<void>;
  /** Remove the tag's manifest; `false` when the registry does not allow deletes. */
  remove(context: ProviderContext, repository: string, tag: string): Promise<boolean>;
}

const manifestType = 'application/vnd.oci.image.manifest.v1+json';
const documentType = 'application/vnd.berth.document.v1+json';

const failed = (action: string, status: number) =>
  new ProviderError(
    status === 401 || status === 403
      ? 'PROVIDER_PERMISSION_DENIED'
      : status >= 500
        ? 'PROVIDER_UNAVAILABLE'
        : 'PROVIDER_REQUEST_FAILED',
    `Container Registry: ${action}: HTTP ${status}`,
    {
      retryable: status >= 500,
      hint: 'The token needs read and write access to the Container Registry (`registry` scope).',
      details: { action, status },
    },
  );

/**
 * Documents in the registry through its HTTP API v2: `Basic` with the Docker credentials, or a
 * `Bearer` token from the challenge's realm (as registry.digitalocean.com asks). A manifest `PUT`
 * replaces a tag atomically: readers see the old document or the new one.
 */
export function registryDocuments(options: RegistryDocumentsOptions): RegistryDocuments {
  const base = registryBaseUrl(options.host);
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const tokens = new Map<string, string>();

  async function send(
    context: ProviderContext,
    repository: string,
    path: string,
    init: { method: string; headers?: Record<string, string>; body?: Buffer | string },
  ): Promise<Response> {
    const signal = context.signal;
    const { username, password } = await options.credentials(context);
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const url = /^https?:/.test(path) ? path : `${base}/v2/${repository}${path}`;
    const attempt = (authorization: string) =>
      fetchFunction(url, {
        method: init.method,
        headers: { ...init.headers, Authorization: authorization },
        ...(init.body === undefined ? {} : { body: init.body }),
        signal: signal ?? null,
      });
    const response = await attempt(tokens.get(repository) ?? basic);
    if (response.status !== 401) return response;
    const challenge = parseAuthChallenge(response.headers.get('www-authenticate'));
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return response;
    await response.body?.cancel();
    const tokenUrl = new URL(challenge.params.realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    tokenUrl.searchParams.set('scope', `repository:${repository}:pull,push,delete`);
    const answer = await fetchFunction(tokenUrl, {
      headers: { Authorization: basic },
      signal: signal ?? null,
    });
    if (!answer.ok) return answer;
    const body = (await answer.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return answer;
    tokens.set(repository, `Bearer ${token}`);
    return attempt(`Bearer ${token}`);
  }

  return {
    async read(context, repository, tag) {
      const manifest = await send(context, repository, `/manifests/${tag}`, {
        method: 'GET',
        headers: { Accept: manifestType },
      });
      if (manifest.status === 404) return undefined;
      if (!manifest.ok) throw failed(`read ${repository}:${tag}`, manifest.status);
      const { config } = (await manifest.json()) as { config?: { digest?: string } };
      if (!config?.digest) return undefined;
      const blob = await send(context, repository, `/blobs/${config.digest}`, { method: 'GET' });
      if (blob.status === 404) return undefined;
      if (!blob.ok) throw failed(`read ${repository}:${tag}`, blob.status);
      return JSON.parse(await blob.text()) as JsonValue;
    },

    async write(context, repository, tag, value) {
      const bytes = Buffer.from(JSON.stringify(value));
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      const started = await send(context, repository, '/blobs/uploads/', { method: 'POST' });
      const location = started.headers.get('location');
      await started.body?.cancel();
      if (started.status !== 202 || !location) throw failed(`write ${repository}:${tag}`, started.status);
      const uploadUrl = new URL(location, `${base}/`);
      uploadUrl.searchParams.set('digest', digest);
      const uploaded = await send(context, repository, uploadUrl.toString(), {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream' },
        body: bytes,
      });
      await uploaded.body?.cancel();
      if (!uploaded.ok) throw failed(`write ${repository}:${tag}`, uploaded.status);
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        artifactType: documentType,
        config: { mediaType: documentType, digest, size: bytes.length },
        layers: [],
      });
      const put = await send(context, repository, `/manifests/${tag}`, {
        method: 'PUT',
        headers: { 'Content-Type': manifestType },
        body: manifest,
      });
      await put.body?.cancel();
      if (!put.ok) throw failed(`write ${repository}:${tag}`, put.status);
    },

    async remove(context, repository, tag) {
      const head = await send(context, repository, `/manifests/${tag}`, {
        method: 'HEAD',
        headers: { Accept: manifestType },
      });
      if (head.status === 404) return true;
      const digest = head.headers.get('docker-content-digest');
      if (!head.ok || !digest) throw failed(`remove ${repository}:${tag}`, head.status);
      const deleted = await send(context, repository, `/manifests/${digest}`, { method: 'DELETE' });
      await deleted.body?.cancel();
      if (deleted.status === 405 || deleted.status === 501) return false;
      if (!deleted.ok && deleted.status !== 404) throw failed(`remove ${repository}:${tag}`, deleted.status);
      return true;
    },
  };
}
