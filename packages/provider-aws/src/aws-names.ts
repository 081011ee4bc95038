/** Names and tags of what Berth owns on AWS. Pure. */

/** The tag every Berth-owned resource carries. */
export const ownerTag = { Key: 'managed-by', Value: 'berth' } as const;
/** Tag naming the Berth service a resource belongs to. */
export const serviceTagKey = 'berth-service';
/** Tag of a service secret naming its environment variable. */
export const keyTagKey = 'berth-key';
/** Tag of a service secret with the fingerprint of its current value (never the value). */
export const fingerprintTagKey = 'berth-fingerprint';
/** Tag of a service secret with the version id holding that value. */
export const versionTagKey = 'berth-version';
/** Tag telling Berth's own records (`ledger`, `lock`) from service secrets. */
export const kindTagKey = 'berth-kind';
/** Environment variable carrying Berth's revision id on the platform (App Runner has no revisions). */
export const revisionEnv = 'BERTH_REVISION';

/** `<prefix>/<service>/<KEY>`: the Secrets Manager secret of one key of one service. */
export function secretName(prefix: string, service: string, key: string): string {
  return `${prefix}/${service}/${key}`;
}

/** Berth's own record of a service (`.ledger`, `.lock`): `.` cannot start an env var name, so no key collides. */
export function recordSecretName(prefix: string, service: string, kind: 'ledger' | 'lock'): string {
  return `${prefix}/${service}/.${kind}`;
}

/** The ECR repository of a service. */
export function repositoryName(prefix: string, service: string): string {
  return `${prefix}/${service}`;
}

/** Tags as the AWS APIs take them (`Key`/`Value`), with `managed-by=berth` and the service. */
export function ownedTags(
  service: string,
  tags: Record<string, string>,
  extra: Record<string, string> = {},
): { Key: string; Value: string }[] {
  return Object.entries({ ...tags, ...extra, [serviceTagKey]: service, [ownerTag.Key]: ownerTag.Value }).map(
    ([Key, Value]) => ({ Key, Value }),
  );
}

/** Tags from a `Key`/`Value` list (or `key`/`value`, ECS's form) to a record. */
export function tagRecord(
  tags: readonly { Key?: string; Value?: string; key?: string; value?: string }[] | undefined,
): Record<string, string> {
  const record: Record<string, string> = {};
  for (const tag of tags ?? []) {
    const key = tag.Key ?? tag.key;
    if (key !== undefined) record[key] = tag.Value ?? tag.value ?? '';
  }
  return record;
}

/** A reference to one version of a secret, as App Runner and ECS take it: `<arn>:<json-key>:<stage>:<version-id>`. */
export function secretVersionRef(arn: string, versionId: string): string {
  return `${arn}:::${versionId}`;
}

/** `<digest>` of an image reference `…@sha256:…`. */
export function digestOf(ref: string | undefined): string | undefined {
  const at = ref?.lastIndexOf('@') ?? -1;
  return ref && at >= 0 ? ref.slice(at + 1) : undefined;
}
