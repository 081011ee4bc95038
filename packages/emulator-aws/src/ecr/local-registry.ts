/** The local registry ECR's images live in, reached over the Docker Registry HTTP API v2. */
export interface LocalRegistry {
  /** `host:port`, e.g. `127.0.0.1:5000`. */
  host: string;
  username?: string;
  password?: string;
}

/** An image in the local registry, as ECR describes it. */
export interface RegistryImage {
  digest: string;
  tags: string[];
  mediaType: string;
  sizeInBytes: number;
}

const manifestTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

function headers(registry: LocalRegistry, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    ...(registry.username
      ? {
          authorization: `Basic ${Buffer.from(`${registry.username}:${registry.password ?? ''}`).toString('base64')}`,
        }
      : {}),
  };
}

/** Every image (by digest, with its tags) of `repository` in the local registry; empty when it has none. */
export async function listRegistryImages(
  registry: LocalRegistry,
  repository: string,
): Promise<RegistryImage[]> {
  const base = `http://${registry.host}/v2/${repository}`;
  const tagsResponse = await fetch(`${base}/tags/list`, { headers: headers(registry) });
  if (tagsResponse.status === 404) return [];
  if (!tagsResponse.ok)
    throw new Error(`The local registry answered ${tagsResponse.status} for ${repository}.`);
  const tags = ((await tagsResponse.json()) as { tags?: string[] | null }).tags ?? [];
  const byDigest = new Map<string, RegistryImage>();
  for (const tag of tags) {
    const manifest = await fetch(`${base}/manifests/${tag}`, {
      headers: headers(registry, { accept: manifestTypes }),
    });
    if (!manifest.ok) continue;
    const body = await manifest.text();
    const digest = manifest.headers.get('docker-content-digest');
    if (!digest) continue;
    const mediaType = manifest.headers.get('content-type') ?? '';
    let size = body.length;
    try {
      const parsed = JSON.parse(body) as { config?: { size?: number }; layers?: { size?: number }[] };
      size =
        (parsed.config?.size ?? 0) + (parsed.layers ?? []).reduce((sum, layer) => sum + (layer.size ?? 0), 0);
    } catch {
      // An index without layers: its own size is what ECR reports.
    }
    const image = byDigest.get(digest) ?? { digest, tags: [], mediaType, sizeInBytes: size };
    image.tags.push(tag);
    byDigest.set(digest, image);
  }
  return [...byDigest.values()];
}

/** One manifest by tag or digest, or `undefined` when the registry does not have it. */
export async function getRegistryManifest(
  registry: LocalRegistry,
  repository: string,
  reference: string,
): Promise<{ digest: string; mediaType: string; body: string } | undefined> {
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${reference}`, {
    headers: headers(registry, { accept: manifestTypes }),
  });
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new Error(`The local registry answered ${response.status} for ${repository}:${reference}.`);
  const body = await response.text();
  return {
    digest: response.headers.get('docker-content-digest') ?? '',
    mediaType: response.headers.get('content-type') ?? '',
    body,
  };
}

/** Delete a manifest (and so every tag on it) by digest; false when the registry does not have it. */
export async function deleteRegistryManifest(
  registry: LocalRegistry,
  repository: string,
  digest: string,
): Promise<boolean> {
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${digest}`, {
    method: 'DELETE',
    headers: headers(registry),
  });
  if (response.status === 404) return false;
  if (!response.ok)
    throw new Error(`The local registry refused to delete ${repository}@${digest} (${response.status}).`);
  return true;
}
