import { ImageError } from '@berth/core';
import { nodeCrypto, registryBaseUrl } from '@berth/core/plugin-kit';
import { type RegistryClientOptions, registryAuthError, sendRegistryRequest } from './registry-auth.js';

export { registryBaseUrl };

/** Manifest media types a HEAD accepts: Docker v2, OCI, and their multi-platform lists. */
export const manifestMediaTypes = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/** The URL of a manifest, by tag or digest. */
export function manifestUrl(registry: string, repository: string, reference: string): string {
  return `${registryBaseUrl(registry)}/v2/${repository}/manifests/${reference}`;
}

/** Which manifest to look up, and how. */
export interface ManifestLookup extends RegistryClientOptions {
  /** A tag or a digest. */
  reference: string;
}

/**
 * The manifest digest of `registry/repository:reference` from a HEAD request (Registry HTTP API v2),
 * answering the registry's Basic or Bearer challenge with the credentials. `undefined` when the
 * manifest does not exist. Throws REGISTRY_AUTH_FAILED when the credentials are refused.
 */
export async function headManifestDigest(lookup: ManifestLookup): Promise<string | undefined> {
  const url = manifestUrl(lookup.registry, lookup.repository, lookup.reference);
  const headers = { Accept: manifestMediaTypes.join(', ') };
  const response = await sendRegistryRequest(lookup, url, { method: 'HEAD', headers }, 'pull');
  if (response.status === 404) return undefined;
  if (response.status === 401 || response.status === 403) throw registryAuthError(lookup, response.status);
  if (!response.ok) {
    throw new ImageError(
      'IMAGE_PUSH_FAILED',
      `The registry ${lookup.registry} answered HTTP ${response.status}.`,
      {
        retryable: response.status >= 500,
        details: { registry: lookup.registry, repository: lookup.repository, status: response.status },
      },
    );
  }
  const digest = response.headers.get('docker-content-digest');
  if (digest) return digest;
  // Some registries omit the header on HEAD: the digest is the sha256 of the manifest bytes.
  const body = await sendRegistryRequest(lookup, url, { method: 'GET', headers }, 'pull');
  if (!body.ok) return undefined;
  return sha256Digest(Buffer.from(await body.arrayBuffer()));
}

/** `sha256:<hex>` of the bytes. */
export function sha256Digest(bytes: Buffer): string {
  return `sha256:${nodeCrypto().createHash('sha256').update(bytes).digest('hex')}`;
}
