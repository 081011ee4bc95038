import type { ContainerInstance } from '@berth/emulator-runtime';
import type { JsonObject } from '../rpc/rpc-error.js';
import type { Target } from './traffic.js';

/** A revision and, while it serves, its running instance. */
export interface RevisionState {
  short: string;
  resource: JsonObject;
  /** The template it was made from, defaults applied (compared to tell whether a template changed). */
  template: JsonObject;
  status: 'reconciling' | 'ready' | 'failed';
  instance?: ContainerInstance;
}

/** A service: what the user asked for (`spec`), what Cloud Run reports (`status`), and its routes. */
export interface ServiceState {
  /** `projects/{number}/locations/{location}/services/{id}`: the key, whichever project form callers use. */
  key: string;
  /** The name as first created (project as the caller wrote it). */
  name: string;
  project: string;
  location: string;
  serviceId: string;
  spec: JsonObject;
  status: JsonObject;
  /** Targets that routes serve now (what `trafficStatuses` shows). */
  serving: Target[];
  revisions: Map<string, RevisionState>;
  /** Counter of generated revision names (`-00001-`). */
  revisionCounter: number;
  port: number;
  tagPorts: Map<string, number>;
  /** Reconciliations run one at a time per service. */
  queue: Promise<unknown>;
  deleted: boolean;
}

/** The service as the API returns it. */
export function serviceResource(state: ServiceState): JsonObject {
  return { ...state.spec, ...state.status, name: state.name };
}

/** `Any`-wrapped service, for operation metadata and responses. */
export function serviceAny(state: ServiceState): JsonObject {
  return { '@type': 'type.googleapis.com/google.cloud.run.v2.Service', ...serviceResource(state) };
}

/** Canonical JSON with sorted keys, to compare specs. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([left], [right]) =>
            left.localeCompare(right),
          ),
        )
      : item,
  );
}

/** The default container port of Cloud Run. */
export const defaultContainerPort = 8080;

/** The port the ingress container listens on. */
export function containerPortOf(container: JsonObject | undefined): number {
  const port = (container?.ports as JsonObject[] | undefined)?.[0]?.containerPort;
  return typeof port === 'number' && port > 0 ? port : defaultContainerPort;
}

/** Fill the defaults Cloud Run fills and returns on read. */
export function withServiceDefaults(spec: JsonObject, projectNumber: string): JsonObject {
  const template = { ...((spec.template as JsonObject | undefined) ?? {}) };
  const containers = ((template.containers as JsonObject[] | undefined) ?? []).map((source, _index, all) => {
    const container: JsonObject = { ...source };
    const ports = (container.ports as JsonObject[] | undefined) ?? [];
    const ingress = all.length === 1 || ports.length > 0;
    if (ingress) {
      const port = containerPortOf(container);
      container.ports = [{ name: String(ports[0]?.name || 'http1'), containerPort: port }];
      container.startupProbe ??= {
        timeoutSeconds: 240,
        periodSeconds: 240,
        failureThreshold: 1,
        tcpSocket: { port },
      };
    }
    const resources = { ...((container.resources as JsonObject | undefined) ?? {}) };
    resources.limits = {
      cpu: '1000m',
      memory: '512Mi',
      ...((resources.limits as JsonObject | undefined) ?? {}),
    };
    resources.startupCpuBoost ??= true;
    container.resources = resources;
    return container;
  });
  template.containers = containers;
  template.maxInstanceRequestConcurrency ||= 80;
  template.timeout ??= '300s';
  template.serviceAccount ||= `${projectNumber}-compute@developer.gserviceaccount.com`;
  const scaling = { ...((template.scaling as JsonObject | undefined) ?? {}) };
  scaling.maxInstanceCount ||= 100;
  template.scaling = scaling;
  template.executionEnvironment ??= 'EXECUTION_ENVIRONMENT_GEN2';
  return {
    ...spec,
    ingress:
      spec.ingress && spec.ingress !== 'INGRESS_TRAFFIC_UNSPECIFIED' ? spec.ingress : 'INGRESS_TRAFFIC_ALL',
    launchStage:
      spec.launchStage && spec.launchStage !== 'LAUNCH_STAGE_UNSPECIFIED' ? spec.launchStage : 'GA',
    template,
  };
}

/** A `google.cloud.run.v2.Condition`. */
export function condition(
  type: string,
  state: 'CONDITION_RECONCILING' | 'CONDITION_SUCCEEDED' | 'CONDITION_FAILED',
  at: string,
  extra: JsonObject = {},
): JsonObject {
  return {
    type,
    state,
    lastTransitionTime: at,
    ...(state === 'CONDITION_FAILED' ? { severity: 'ERROR' } : {}),
    ...extra,
  };
}

/** Whether a new template asks for a new revision. */
export function templateChanged(previous: JsonObject | undefined, next: JsonObject): boolean {
  if (!previous) return true;
  const { revision: previousName, ...previousRest } = previous;
  const { revision: nextName, ...nextRest } = next;
  if (typeof nextName === 'string' && nextName !== '' && nextName !== previousName) return true;
  return stableJson(previousRest) !== stableJson(nextRest);
}
