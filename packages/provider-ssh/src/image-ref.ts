/** Pure helpers about image references. */

/** True for a local image ID (`sha256:<64 hex>`), which no registry can serve. */
export function isImageId(ref: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(ref);
}

/**
 * The registry a reference is pulled from, by Docker's rule: the first path component is a host
 * when it contains `.` or `:` or is `localhost`; otherwise Docker Hub. `undefined` for image IDs.
 */
export function registryHostOf(ref: string): string | undefined {
  if (isImageId(ref)) return undefined;
  const slash = ref.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = ref.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/**
 * The repository of a tag reference, `registry/repository` of `registry/repository:tag` (a registry
 * port is not a tag). `undefined` for image IDs and digest references.
 */
export function repositoryOfTag(ref: string): string | undefined {
  if (isImageId(ref) || ref.includes('@')) return undefined;
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

/**
 * The digest the engine recorded for `ref`'s repository (from an image's `RepoDigests`), e.g. for a
 * container created from a tag before that tag's push ended. Pure.
 */
export function recordedDigestOf(ref: string, repoDigests: readonly string[]): string | undefined {
  const repository = repositoryOfTag(ref);
  if (!repository) return undefined;
  const found = repoDigests.find((entry) => entry.startsWith(`${repository}@sha256:`));
  return found?.slice(repository.length + 1);
}
