import type { DesiredService, TrafficTarget } from '@berth/core';
import type { protos } from '@google-cloud/run';
import {
  cloudRunRevisionName,
  ownerLabel,
  revisionAnnotations,
  secretId,
  serviceLabel,
  versionNumberOf,
} from './gcp-names.js';

type IService = protos.google.cloud.run.v2.IService;
type ITrafficTarget = protos.google.cloud.run.v2.ITrafficTarget;
type IEnvVar = protos.google.cloud.run.v2.IEnvVar;

/** Inputs of `buildService` besides the desired service. */
export interface ServiceRequestSettings {
  project: string;
  serviceAccount?: string;
  /** Minimum instances when the spec does not say. */
  minInstances: number;
  labels: Record<string, string>;
  traffic: ITrafficTarget[];
}

const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION' as const;

/** Cloud Run's memory syntax is Kubernetes' (`512Mi`), which the spec already uses. CPU is a core count. */
function cpuLimit(cpu: number): string {
  return Number.isInteger(cpu) ? String(cpu) : `${Math.round(cpu * 1000)}m`;
}

/** Env entries: plain values, then secrets as `secretKeyRef` pinned to a version. Sorted, so requests are stable. */
export function buildEnv(desired: DesiredService): IEnvVar[] {
  const plain: IEnvVar[] = Object.entries(desired.env).map(([name, value]) => ({ name, value }));
  const secrets: IEnvVar[] = Object.entries(desired.secrets).map(([name, binding]) => ({
    name,
    valueSource: {
      secretKeyRef: {
        secret: secretId(desired.service, name),
        version: binding.ref ? versionNumberOf(binding.ref) : 'latest',
      },
    },
  }));
  return [...plain, ...secrets].sort((left, right) => String(left.name).localeCompare(String(right.name)));
}

/** The Cloud Run v2 Service Berth applies for `desired`. Pure. */
export function buildService(desired: DesiredService, settings: ServiceRequestSettings): IService {
  const { resources } = desired;
  const limits: Record<string, string> = {};
  if (resources.cpu !== undefined) limits.cpu = cpuLimit(resources.cpu);
  if (resources.memory !== undefined) limits.memory = resources.memory;
  const fingerprints = Object.fromEntries(
    Object.entries(desired.secrets)
      .map(([key, binding]) => [key, binding.fingerprint] as const)
      .sort(([left], [right]) => left.localeCompare(right)),
  );
  return {
    labels: { ...settings.labels, [ownerLabel.key]: ownerLabel.value, [serviceLabel]: desired.service },
    ingress: 'INGRESS_TRAFFIC_ALL',
    template: {
      revision: cloudRunRevisionName(desired.service, desired.revision),
      annotations: {
        [revisionAnnotations.revision]: desired.revision,
        [revisionAnnotations.secretFingerprints]: JSON.stringify(fingerprints),
      },
      scaling: {
        minInstanceCount: resources.minInstances ?? settings.minInstances,
        ...(resources.maxInstances !== undefined ? { maxInstanceCount: resources.maxInstances } : {}),
      },
      ...(resources.concurrency !== undefined
        ? { maxInstanceRequestConcurrency: resources.concurrency }
        : {}),
      ...(settings.serviceAccount ? { serviceAccount: settings.serviceAccount } : {}),
      containers: [
        {
          image: desired.image.ref,
          ports: [{ name: 'http1', containerPort: desired.port }],
          env: buildEnv(desired),
          ...(Object.keys(limits).length > 0 ? { resources: { limits } } : {}),
        },
      ],
    },
    traffic: settings.traffic,
  };
}

/**
 * Traffic of an update. `verify-before-traffic`: what serves now stays pinned by revision name (a
 * LATEST target would move to the new revision as soon as it is ready), and the new revision gets
 * 0% and the candidate tag. `direct` (or a first deploy): 100% to the new revision.
 */
export function buildTraffic(input: {
  strategy: 'verify-before-traffic' | 'direct';
  service: string;
  newRevision: string;
  /** What serves now, with Berth revision ids; empty when nothing serves. */
  serving: TrafficTarget[];
  candidateTag: string;
}): ITrafficTarget[] {
  const next = cloudRunRevisionName(input.service, input.newRevision);
  const serving = input.serving.filter(
    (target) => target.percent > 0 && target.revision !== input.newRevision,
  );
  if (input.strategy === 'direct' || serving.length === 0)
    return [{ type: REVISION, revision: next, percent: 100 }];
  return [
    ...serving.map((target) => ({
      type: REVISION,
      revision: cloudRunRevisionName(input.service, target.revision),
      percent: target.percent,
    })),
    { type: REVISION, revision: next, percent: 0, tag: input.candidateTag },
  ];
}

/** All traffic to one revision (shift after verification, rollback). */
export function allTrafficTo(service: string, revision: string): ITrafficTarget[] {
  return [{ type: REVISION, revision: cloudRunRevisionName(service, revision), percent: 100 }];
}
