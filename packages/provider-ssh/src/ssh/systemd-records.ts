/**
 * What the systemd method keeps per revision on the host (`revisions/<revision>.json`), and how a
 * revision's environment is split between the unit (plain) and the 0600 environment file (secret).
 * Pure. Records never hold secret values: only the bindings' references and fingerprints.
 */
import type { DesiredService, ObservedService, RevisionInfo } from '@berth/core';
import type { UnitStatus } from './systemd-units.js';

/** One revision as recorded on the host. */
export interface SystemdRevisionRecord {
  version: 1;
  revision: string;
  releaseId: string;
  createdAt: string;
  url: string;
  /** What the engine asked for, secret values removed. */
  desired: DesiredService;
  /** Proxy mode: the slot unit (`berth-<service>--<slot>.service`) and loopback port it runs on. */
  proxy?: { slot: ProxySlot; port: number };
}

/** The two units a service alternates between in proxy mode. */
export type ProxySlot = 'a' | 'b';

/** The revision's environment: plain variables (with `PORT` and `BERTH_REVISION`) and secrets. */
export function serviceEnvironment(
  desired: DesiredService,
  secretValues: Readonly<Record<string, string>>,
): { plain: Record<string, string>; secret: Record<string, string> } {
  const plain: Record<string, string> = { ...desired.env };
  for (const key of Object.keys(secretValues)) delete plain[key]; // a secret wins over a plain variable
  if (!('PORT' in plain) && !('PORT' in secretValues)) plain.PORT = String(desired.port);
  if (!('BERTH_REVISION' in plain) && !('BERTH_REVISION' in secretValues))
    plain.BERTH_REVISION = desired.revision;
  return { plain, secret: { ...secretValues } };
}

/** The desired service without any secret value. */
export function withoutSecretValues(desired: DesiredService): DesiredService {
  return {
    ...desired,
    secrets: Object.fromEntries(
      Object.entries(desired.secrets).map(([key, binding]) => [
        key,
        { fingerprint: binding.fingerprint, ...(binding.ref !== undefined ? { ref: binding.ref } : {}) },
      ]),
    ),
  };
}

/** Parse a record; `undefined` when missing or not one. */
export function parseRevisionRecord(text: string | undefined): SystemdRevisionRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<SystemdRevisionRecord>;
    return value.version === 1 &&
      typeof value.revision === 'string' &&
      typeof value.releaseId === 'string' &&
      value.desired
      ? (value as SystemdRevisionRecord)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The live service as `observe` reports it. */
export function observedOf(record: SystemdRevisionRecord, status: UnitStatus): ObservedService {
  const { desired } = record;
  return {
    service: desired.service,
    url: record.url,
    revision: record.revision,
    image: { ref: desired.image.ref, ...(desired.image.digest ? { digest: desired.image.digest } : {}) },
    port: desired.port,
    env: { ...desired.env },
    secrets: Object.fromEntries(
      Object.entries(desired.secrets).map(([key, binding]) => [
        key,
        { fingerprint: binding.fingerprint, ...(binding.ref !== undefined ? { ref: binding.ref } : {}) },
      ]),
    ),
    resources: desired.resources,
    public: desired.public,
    ready: status.activeState === 'active',
    data: { releaseId: record.releaseId, unitState: `${status.activeState}/${status.subState}` },
  };
}

/** A revision for `listRevisions`, newest first by the caller. */
export function revisionInfoOf(
  record: SystemdRevisionRecord,
  current: string | undefined,
  status: UnitStatus,
): RevisionInfo {
  return {
    revision: record.revision,
    image: {
      ref: record.desired.image.ref,
      ...(record.desired.image.digest ? { digest: record.desired.image.digest } : {}),
    },
    createdAt: record.createdAt,
    traffic: record.revision === current && status.activeState === 'active' ? 100 : 0,
    status: record.revision === current ? status.activeState : 'stopped',
  };
}

/** `memory: 512Mi` → bytes; `undefined` when unset or not a size. */
export function memoryBytes(memory: string | undefined): number | undefined {
  const match = memory ? /^(\d+)(Mi|Gi)$/.exec(memory) : null;
  if (!match?.[1]) return undefined;
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 ** 3 : 1024 ** 2);
}
