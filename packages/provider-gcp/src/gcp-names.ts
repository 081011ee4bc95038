/** Resource names and labels Berth uses on Google Cloud. Pure. */

/** Label every resource Berth owns carries (`managed-by=berth`). */
export const ownerLabel = { key: 'managed-by', value: 'berth' } as const;
/** Label naming the Berth service a secret belongs to. */
export const serviceLabel = 'berth-service';
/** Annotations on a secret: the env key, and the fingerprint and version of its latest value. */
export const secretAnnotations = {
  key: 'berth.dev/key',
  fingerprint: 'berth.dev/fingerprint',
  version: 'berth.dev/version',
} as const;
/** Revision template annotations: Berth's revision id and the secrets' fingerprints (never values). */
export const revisionAnnotations = {
  revision: 'berth.dev/revision',
  secretFingerprints: 'berth.dev/secret-fingerprints',
} as const;

export function locationName(project: string, region: string): string {
  return `projects/${project}/locations/${region}`;
}

export function serviceName(project: string, region: string, service: string): string {
  return `${locationName(project, region)}/services/${service}`;
}

/** Cloud Run revision name of a Berth revision: deterministic, prefixed by the service. */
export function cloudRunRevisionName(service: string, revision: string): string {
  return `${service}-${revision}`;
}

/** Berth revision id of a Cloud Run revision (its name without the service prefix). */
export function berthRevisionOf(service: string, cloudRunRevision: string): string {
  const short = cloudRunRevision.slice(cloudRunRevision.lastIndexOf('/') + 1);
  return short.startsWith(`${service}-`) ? short.slice(service.length + 1) : short;
}

/** Secret id of one secret key of a service, e.g. `hello-dev--SUPERVAIZER_API_KEY`. */
export function secretId(service: string, key: string): string {
  return `${service}--${key}`;
}

export function secretName(project: string, service: string, key: string): string {
  return `projects/${project}/secrets/${secretId(service, key)}`;
}

/** The version number at the end of a secret version name. */
export function versionNumberOf(versionName: string): string {
  return versionName.slice(versionName.lastIndexOf('/') + 1);
}

/** The repository path images of `service` are pushed to: `${project}/${repository}/${service}`. */
export function imageRepository(project: string, repository: string, service: string): string {
  return `${project}/${repository}/${service}`;
}
