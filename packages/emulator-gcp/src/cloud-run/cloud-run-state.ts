import type { IncomingMessage } from 'node:http';
import { type LoopbackProxy, openLoopbackProxy, type ProxyDecision } from '@berth/emulator-runtime';
import type { EmulatorContext } from '../emulator-context.js';
import { ids, timestamp } from '../projects.js';
import { invalidArgument, type JsonObject, RpcError } from '../rpc/rpc-error.js';
import { proxyPages } from './front-end-pages.js';
import { RevisionFailure, type RevisionLauncher } from './revision-launcher.js';
import { condition, type RevisionState, type ServiceState, serviceAny } from './service-state.js';
import {
  createWeightedPicker,
  referencedRevisions,
  servingSplit,
  type Target,
  tagTarget,
  trafficStatuses,
} from './traffic.js';

const locationPattern = /^[a-z]+-[a-z]+\d+$/;

/** Services, their revisions and their loopback routes: the running part of the Cloud Run emulator. */
export class CloudRunState {
  readonly services = new Map<string, ServiceState>();
  private readonly proxies = new Map<string, LoopbackProxy>();
  private readonly tagProxies = new Map<string, Map<string, LoopbackProxy>>();
  private readonly pickers = new Map<string, ReturnType<typeof createWeightedPicker>>();

  constructor(
    private readonly context: EmulatorContext,
    private readonly launcher: RevisionLauncher,
  ) {}

  /** Parse `projects/{p}/locations/{l}`. */
  parseParent(parent: string, field = 'parent'): { project: string; location: string } {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent);
    if (!match?.[1] || !match[2]) throw invalidArgument(field, `Invalid parent: '${parent}'.`);
    this.context.projects.validate(match[1], field);
    if (!locationPattern.test(match[2]))
      throw invalidArgument(
        field,
        `Location '${match[2]}' is not a valid Cloud Run region (the '-' wildcard is not accepted).`,
      );
    return { project: match[1], location: match[2] };
  }

  /** Parse a service name into its key and parts. */
  parseName(
    name: string,
    field = 'name',
  ): { key: string; project: string; location: string; serviceId: string } {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/.exec(name);
    if (!match?.[1] || !match[2] || !match[3])
      throw invalidArgument(field, `Invalid resource name: '${name}'.`);
    const project = match[1];
    return { key: this.keyOf(project, match[2], match[3]), project, location: match[2], serviceId: match[3] };
  }

  keyOf(project: string, location: string, serviceId: string): string {
    return `projects/${this.context.projects.numberOf(project)}/locations/${location}/services/${serviceId}`;
  }

  /** The service or 404 with Cloud Run's message. */
  require(name: string, field = 'name'): ServiceState {
    const parsed = this.parseName(name, field);
    const state = this.services.get(parsed.key);
    if (!state || state.deleted)
      throw new RpcError(
        'NOT_FOUND',
        `Resource '${parsed.serviceId}' of kind 'SERVICE' in region '${parsed.location}' in project '${parsed.project}' does not exist.`,
      );
    return state;
  }

  /** Open the service's loopback URL. */
  async openRoutes(state: ServiceState): Promise<void> {
    const proxy = await openLoopbackProxy((request) => this.decide(state, request));
    this.proxies.set(state.key, proxy);
    state.port = proxy.port;
  }

  private isPublic(state: ServiceState): boolean {
    return (
      state.spec.invokerIamDisabled === true ||
      this.context.iam.grants(state.key, 'roles/run.invoker', 'allUsers')
    );
  }

  private decide(state: ServiceState, request: IncomingMessage, tag?: string): ProxyDecision {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    if (state.deleted) return proxyPages.notFound(path);
    if (!this.isPublic(state) && !/^Bearer\s+\S+/i.test(request.headers.authorization ?? ''))
      return proxyPages.forbidden(path);
    const latestReady = shortName(state.status.latestReadyRevision);
    let picker = this.pickers.get(state.key);
    if (!picker) {
      picker = createWeightedPicker();
      this.pickers.set(state.key, picker);
    }
    const revision = tag
      ? tagTarget(state.serving, tag, latestReady)
      : picker(servingSplit(state.serving, latestReady));
    const instance = revision ? state.revisions.get(revision)?.instance : undefined;
    if (!instance || !revision) return proxyPages.unavailable();
    return { target: instance };
  }

  private async syncTagRoutes(state: ServiceState): Promise<void> {
    const proxies = this.tagProxies.get(state.key) ?? new Map<string, LoopbackProxy>();
    this.tagProxies.set(state.key, proxies);
    const tags = new Set(state.serving.flatMap((target) => (target.tag ? [target.tag] : [])));
    for (const [tag, proxy] of proxies)
      if (!tags.has(tag)) {
        proxies.delete(tag);
        state.tagPorts.delete(tag);
        await proxy.close();
      }
    for (const tag of tags)
      if (!proxies.has(tag)) {
        const proxy = await openLoopbackProxy((request) => this.decide(state, request, tag));
        proxies.set(tag, proxy);
        state.tagPorts.set(tag, proxy.port);
      }
  }

  /** Serialise reconciliations of one service. */
  enqueue<T>(state: ServiceState, work: () => Promise<T>): Promise<T> {
    const next = state.queue.then(work, work);
    state.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Bring the service to its spec: start the new revision (if any), make sure every revision the
   * traffic references runs, switch the routes, retire the rest. A revision that does not become
   * ready fails the operation and leaves the routes as they were.
   */
  async reconcile(state: ServiceState, revision: RevisionState | undefined): Promise<JsonObject> {
    const now = () => timestamp(new Date());
    const desired = state.spec.traffic as unknown as Target[];
    let failing = revision?.short;
    try {
      if (revision) {
        await this.launcher.start(state, revision);
        revision.status = 'ready';
        const at = now();
        revision.resource.reconciling = false;
        revision.resource.conditions = [
          condition('Ready', 'CONDITION_SUCCEEDED', at),
          condition('ContainerHealthy', 'CONDITION_SUCCEEDED', at),
          condition('ResourcesAvailable', 'CONDITION_SUCCEEDED', at),
        ];
        state.status.latestReadyRevision = `${state.name}/revisions/${revision.short}`;
      }
      const latestReady = shortName(state.status.latestReadyRevision);
      const referenced = referencedRevisions(desired, latestReady);
      for (const short of referenced) {
        const target = state.revisions.get(short);
        failing = short;
        if (!target || target.status === 'failed')
          throw new RevisionFailure('REVISION_FAILED', `Revision '${short}' is not ready.`);
        if (!target.instance) await this.launcher.start(state, target);
      }
      state.serving = desired.map((target) => ({ ...target }));
      await this.syncTagRoutes(state);
      for (const candidate of state.revisions.values())
        if (!referenced.has(candidate.short) && candidate.instance) await this.launcher.stop(candidate);
      const at = now();
      state.status.uri = `http://127.0.0.1:${state.port}`;
      state.status.urls = [state.status.uri];
      state.status.trafficStatuses = trafficStatuses(
        state.serving,
        (tag) => `http://127.0.0.1:${state.tagPorts.get(tag)}`,
      );
      state.status.terminalCondition = condition('Ready', 'CONDITION_SUCCEEDED', at);
      state.status.conditions = [
        condition('RoutesReady', 'CONDITION_SUCCEEDED', at),
        condition('ConfigurationsReady', 'CONDITION_SUCCEEDED', at),
      ];
      state.status.observedGeneration = state.status.generation ?? '1';
      state.status.reconciling = false;
      state.status.etag = ids.etag();
      return serviceAny(state);
    } catch (error) {
      if (!(error instanceof RevisionFailure)) throw error;
      const at = now();
      if (revision && revision.status !== 'ready') {
        revision.status = 'failed';
        revision.resource.reconciling = false;
        revision.resource.conditions = [
          condition('Ready', 'CONDITION_FAILED', at, {
            message: error.message,
            ...reasonField(error.reason),
          }),
          condition('ContainerHealthy', 'CONDITION_FAILED', at, { message: error.message }),
        ];
      }
      const message = `Revision '${failing}' is not ready and cannot serve traffic. ${error.message}`;
      state.status.terminalCondition = condition('Ready', 'CONDITION_FAILED', at, {
        message,
        reason: 'REVISION_FAILED',
      });
      state.status.conditions = [
        condition('ConfigurationsReady', 'CONDITION_FAILED', at, { message, reason: 'REVISION_FAILED' }),
        condition('RoutesReady', 'CONDITION_FAILED', at, { message, reason: 'REVISION_FAILED' }),
      ];
      state.status.reconciling = false;
      state.status.etag = ids.etag();
      this.context.log(`revision ${failing} failed: ${error.message}`);
      throw new RpcError('FAILED_PRECONDITION', message);
    }
  }

  /** Stop a revision's instance (it keeps existing). */
  async retire(revision: RevisionState): Promise<void> {
    await this.launcher.stop(revision);
  }

  /** Stop every revision and close the routes of a deleted service. */
  async teardown(state: ServiceState): Promise<void> {
    state.deleted = true;
    for (const revision of state.revisions.values())
      await this.launcher.stop(revision).catch(() => undefined);
    await this.proxies.get(state.key)?.close();
    for (const proxy of this.tagProxies.get(state.key)?.values() ?? []) await proxy.close();
    this.proxies.delete(state.key);
    this.tagProxies.delete(state.key);
    this.pickers.delete(state.key);
    this.services.delete(state.key);
    this.context.iam.delete(state.key);
  }

  async close(): Promise<void> {
    for (const state of [...this.services.values()]) await this.teardown(state);
  }
}

function reasonField(reason: string): JsonObject {
  const revisionReasons = new Set(['HEALTH_CHECK_CONTAINER_ERROR', 'MIN_INSTANCES_NOT_PROVISIONED']);
  return revisionReasons.has(reason) ? { revisionReason: reason } : { reason };
}

/** `hello-00001-abc` of `projects/.../revisions/hello-00001-abc`. */
export function shortName(name: unknown): string | undefined {
  return typeof name === 'string' && name !== '' ? name.slice(name.lastIndexOf('/') + 1) : undefined;
}
