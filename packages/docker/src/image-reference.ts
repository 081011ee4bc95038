/** An image reference split into its parts, with Docker's defaults applied. */
export interface ImageReference {
  /** Registry host, `docker.io` when the reference names none. */
  registry: string;
  /** Repository path, `library/nginx` for Docker Hub's official images. */
  repository: string;
  tag?: string;
  /** `sha256:…` when the reference is pinned. */
  digest?: string;
}

/**
 * Parse `[registry/]repository[:tag][@digest]` the way Docker does: the first path component is a
 * registry when it contains `.` or `:` or is `localhost`.
 */
export function parseImageReference(reference: string): ImageReference {
  const at = reference.indexOf('@');
  const digest = at >= 0 ? reference.slice(at + 1) : undefined;
  const named = at >= 0 ? reference.slice(0, at) : reference;
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > lastSlash ? named.slice(colon + 1) : undefined;
  const path = colon > lastSlash ? named.slice(0, colon) : named;
  const [first = '', ...rest] = path.split('/');
  const hasRegistry =
    rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  let repository = hasRegistry ? rest.join('/') : path;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** True when two registry names address the same registry (`docker.io` has several spellings). */
export function sameRegistry(left: string, right: string): boolean {
  const normalize = (registry: string) =>
    ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'].includes(registry.toLowerCase())
      ? 'docker.io'
      : registry.toLowerCase();
  return normalize(left) === normalize(right);
}

/** The repository local images of a service get when there is no registry target: `berth/<service>`. */
export function localRepositoryName(service: string): string {
  const name = service
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `berth/${name || 'service'}`;
}

/** True when `reference` is pinned to a sha256 digest. */
export function isDigestReference(reference: string): boolean {
  return /@sha256:[0-9a-f]{64}$/.test(reference);
}
