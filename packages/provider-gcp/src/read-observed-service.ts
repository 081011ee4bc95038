import type { ObservedService, Resources, RevisionInfo, TrafficTarget } from '@berth/core';
import type { protos } from '@google-cloud/run';
import { berthRevisionOf, revisionAnnotations } from './gcp-names.js';

type IService = protos.google.cloud.run.v2.IService;
type IRevision = protos.google.cloud.run.v2.IRevision;
type IPolicy = protos.google.iam.v1.IPolicy;

const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';

function enumName(value: unknown): string {
  return String(value ?? '');
}

/** Traffic that routes serve now (`trafficStatuses`), with Berth revision ids and LATEST resolved. */
export function servingTraffic(service: IService, serviceId: string): TrafficTarget[] {
  const latestReady = service.latestReadyRevision ?? '';
  return (service.trafficStatuses ?? []).flatMap((status) => {
    const cloudRunRevision = enumName(status.type) === LATEST ? latestReady : (status.revision ?? '');
    if (!cloudRunRevision) return [];
    return [
      {
        revision: berthRevisionOf(serviceId, cloudRunRevision),
        percent: status.percent ?? 0,
        ...(status.tag ? { tag: status.tag } : {}),
      },
    ];
  });
}

/** The Cloud Run revision (short name) that serves most traffic, if any. */
export function servingRevisionName(service: IService, serviceId: string): string | undefined {
  const traffic = servingTraffic(service, serviceId).filter((target) => target.percent > 0);
  const top = [...traffic].sort((left, right) => right.percent - left.percent)[0];
  if (!top) return undefined;
  const status = (service.trafficStatuses ?? []).find(
    (candidate) => candidate.revision && berthRevisionOf(serviceId, candidate.revision) === top.revision,
  );
  return status?.revision ?? (service.latestReadyRevision ?? '').split('/').pop();
}

/** The tag URL of `tag` in `trafficStatuses`. */
export function tagUrl(service: IService, tag: string): string | undefined {
  return (service.trafficStatuses ?? []).find((status) => status.tag === tag)?.uri ?? undefined;
}

/** Whether `allUsers` may invoke the service. */
export function isPublic(policy: IPolicy | undefined): boolean {
  return (policy?.bindings ?? []).some(
    (binding) => binding.role === 'roles/run.invoker' && (binding.members ?? []).includes('allUsers'),
  );
}

function cpuCores(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (value.endsWith('m')) return Number(value.slice(0, -1)) / 1000;
  const cores = Number(value);
  return Number.isFinite(cores) ? cores : undefined;
}

/**
 * The live service as Berth compares it: the configuration of the revision serving traffic (after
 * a rollback that is not the template's), its URL, traffic and invoker policy. Pure.
 */
export function readObservedService(input: {
  serviceId: string;
  service: IService;
  revision: IRevision | undefined;
  policy: IPolicy | undefined;
}): ObservedService {
  const { service, revision, serviceId } = input;
  const container = revision?.containers?.[0] ?? service.template?.containers?.[0] ?? undefined;
  const env: Record<string, string> = {};
  const secrets: ObservedService['secrets'] = {};
  const annotations = revision?.annotations ?? service.template?.annotations ?? {};
  let fingerprints: Record<string, string> = {};
  try {
    fingerprints = JSON.parse(annotations[revisionAnnotations.secretFingerprints] ?? '{}') as Record<
      string,
      string
    >;
  } catch {
    fingerprints = {};
  }
  for (const entry of container?.env ?? []) {
    const name = entry.name ?? '';
    const ref = entry.valueSource?.secretKeyRef;
    if (ref?.secret) {
      const fingerprint = fingerprints[name];
      secrets[name] = {
        ref: `${ref.secret.includes('/') ? ref.secret : `projects/${projectOf(service)}/secrets/${ref.secret}`}/versions/${ref.version || 'latest'}`,
        ...(fingerprint ? { fingerprint } : {}),
      };
    } else env[name] = entry.value ?? '';
  }
  const limits = container?.resources?.limits ?? {};
  const scaling = revision?.scaling ?? service.template?.scaling ?? undefined;
  const cpu = cpuCores(limits.cpu);
  const resources: Resources = {
    ...(cpu !== undefined ? { cpu } : {}),
    ...(limits.memory ? { memory: limits.memory } : {}),
    ...(scaling?.minInstanceCount !== undefined && scaling.minInstanceCount !== null
      ? { minInstances: scaling.minInstanceCount }
      : {}),
    ...(scaling?.maxInstanceCount ? { maxInstances: scaling.maxInstanceCount } : {}),
    ...(revision?.maxInstanceRequestConcurrency
      ? { concurrency: revision.maxInstanceRequestConcurrency }
      : {}),
  };
  const image = container?.image ?? undefined;
  const digest = image?.includes('@sha256:') ? image.slice(image.indexOf('@') + 1) : undefined;
  const traffic = servingTraffic(service, serviceId);
  const serving = revision?.name ? berthRevisionOf(serviceId, revision.name) : undefined;
  const port = container?.ports?.[0]?.containerPort ?? 8080;
  return {
    service: serviceId,
    ...(service.uri ? { url: service.uri } : {}),
    ...(serving ? { revision: serving } : {}),
    ...(image ? { image: { ref: image, ...(digest ? { digest } : {}) } } : {}),
    port,
    env,
    secrets,
    resources,
    public: isPublic(input.policy),
    provider: {
      serviceAccount: revision?.serviceAccount || service.template?.serviceAccount || null,
      ...(scaling?.minInstanceCount !== undefined && scaling.minInstanceCount !== null
        ? { minInstances: scaling.minInstanceCount }
        : { minInstances: 0 }),
    },
    traffic,
    ready:
      enumName(service.terminalCondition?.state) === 'CONDITION_SUCCEEDED' && service.reconciling !== true,
    data: {
      name: service.name ?? '',
      ...(service.latestReadyRevision ? { latestReadyRevision: service.latestReadyRevision } : {}),
      ...(service.latestCreatedRevision ? { latestCreatedRevision: service.latestCreatedRevision } : {}),
    },
  };
}

function projectOf(service: IService): string {
  return /^projects\/([^/]+)/.exec(service.name ?? '')?.[1] ?? '';
}

/** Revisions as the contract lists them. Pure. */
export function readRevisions(serviceId: string, service: IService, revisions: IRevision[]): RevisionInfo[] {
  const traffic = servingTraffic(service, serviceId);
  return revisions.map((revision) => {
    const id = berthRevisionOf(serviceId, revision.name ?? '');
    const percent = traffic
      .filter((target) => target.revision === id)
      .reduce((sum, target) => sum + target.percent, 0);
    const ready = (revision.conditions ?? []).find((condition) => condition.type === 'Ready');
    const state = enumName(ready?.state);
    const image = revision.containers?.[0]?.image ?? undefined;
    const created = revision.createTime?.seconds;
    return {
      revision: id,
      ...(image
        ? {
            image: {
              ref: image,
              ...(image.includes('@') ? { digest: image.slice(image.indexOf('@') + 1) } : {}),
            },
          }
        : {}),
      ...(created !== undefined && created !== null
        ? { createdAt: new Date(Number(created) * 1000).toISOString() }
        : {}),
      traffic: percent,
      status:
        state === 'CONDITION_FAILED'
          ? 'failed'
          : percent > 0
            ? 'running'
            : state === 'CONDITION_SUCCEEDED'
              ? 'retired'
              : 'pending',
    };
  });
}
