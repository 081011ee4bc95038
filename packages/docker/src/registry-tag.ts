import { ImageError } from '@berth/core';
import { type RegistryClientOptions, registryAuthError, sendRegistryRequest } from './registry-auth.js';
import { manifestMediaTypes, manifestUrl, sha256Digest } from './registry-digest.js';
import type { RegistryResponse } from './registry-fetch.js';

/** Which manifest gets which new tag, and how to reach its registry. */
export interface ManifestTagging extends RegistryClientOptions {
  /** The manifest to tag, `sha256:…` (already in the repository). */
  digest: string;
  /** The new tag. */
  tag: string;
}

/**
 * Tag a manifest that is already in the repository, in the registry itself (Registry HTTP API v2):
 * `GET` the manifest by digest, check its bytes hash to the digest, and `PUT` the same bytes with
 * the same `Content-Type` under the tag. No layer moves and no engine is involved; the registry
 * checks that every blob the manifest names is in the repository. Throws REGISTRY_AUTH_FAILED when
 * the credentials may not read or push, IMAGE_PUSH_FAILED otherwise.
 */
export async function tagManifest(tagging: ManifestTagging): Promise<void> {
  const { registry, repository, digest, tag } = tagging;
  const got = await sendRegistryRequest(
    tagging,
    manifestUrl(registry, repository, digest),
    { method: 'GET', headers: { Accept: manifestMediaTypes.join(', ') } },
    'pull',
  );
  if (!got.ok) throw await taggingError(tagging, got, 'read');
  const manifest = Buffer.from(await got.arrayBuffer());
  if (digest.startsWith('sha256:') && sha256Digest(manifest) !== digest)
    throw tagFailed(tagging, `The registry returned a manifest that does not hash to ${digest}.`, true);
  const mediaType = got.headers.get('content-type') ?? mediaTypeOf(manifest);
  if (!mediaType) throw tagFailed(tagging, `The manifest ${digest} has no media type.`, false);

  const put = await sendRegistryRequest(
    tagging,
    manifestUrl(registry, repository, tag),
    { method: 'PUT', headers: { 'Content-Type': mediaType }, body: manifest },
    'pull,push',
  );
  if (!put.ok) throw await taggingError(tagging, put, 'write');
  await put.body?.cancel();
  const stored = put.headers.get('docker-content-digest');
  if (stored && stored !== digest)
    throw tagFailed(tagging, `The registry stored ${tag} as ${stored}, not ${digest}.`, false);
}

function mediaTypeOf(manifest: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(manifest.toString('utf8')) as { mediaType?: unknown };
    return typeof parsed.mediaType === 'string' ? parsed.mediaType : undefined;
  } catch {
    return undefined;
  }
}

async function taggingError(
  tagging: ManifestTagging,
  response: RegistryResponse,
  step: 'read' | 'write',
): Promise<ImageError> {
  if (response.status === 401 || response.status === 403) return registryAuthError(tagging, response.status);
  // The registry's own error codes (e.g. MANIFEST_BLOB_UNKNOWN) say what went wrong; they hold no secrets.
  const body = (await response.json().catch(() => ({}))) as { errors?: { code?: unknown }[] };
  const codes = (body.errors ?? []).map((error) => String(error.code)).filter(Boolean);
  const what = step === 'read' ? `reading ${tagging.digest}` : `tagging it ${tagging.tag}`;
  return tagFailed(
    tagging,
    `The registry ${tagging.registry} answered HTTP ${response.status} ${what}${codes.length ? ` (${codes.join(', ')})` : ''}.`,
    response.status >= 500 || response.status === 429,
    { status: response.status, ...(codes.length ? { errors: codes } : {}) },
  );
}

function tagFailed(
  tagging: ManifestTagging,
  message: string,
  retryable: boolean,
  details: Record<string, unknown> = {},
): ImageError {
  return new ImageError('IMAGE_PUSH_FAILED', message, {
    retryable,
    details: { registry: tagging.registry, repository: tagging.repository, tag: tagging.tag, ...details },
  });
}
