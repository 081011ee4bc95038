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
