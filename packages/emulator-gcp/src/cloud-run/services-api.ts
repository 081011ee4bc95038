import type { EmulatorContext, RpcHandler } from '../emulator-context.js';
import { ids, timestamp } from '../projects.js';
import { paginate } from '../rpc/paginate.js';
import { invalidArgument, type JsonObject, RpcError } from '../rpc/rpc-error.js';
import type { CloudRunState } from './cloud-run-state.js';
import {
  condition,
  type RevisionState,
  type ServiceState,
  serviceAny,
  serviceResource,
  stableJson,
  templateChanged,
  withServiceDefaults,
} from './service-state.js';
import { validateTraffic } from './traffic.js';
import { validateService, validateServiceId } from './validate-service.js';

const prefix = 'google.cloud.run.v2.Services.';

function camelCase(path: string): string {
  return path.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

/** Copy `paths` (a field mask) from `source` onto a copy of `target`; absent values clear the field. */
function applyMask(target: JsonObject, source: JsonObject, paths: string[]): JsonObject {
  if (paths.includes('*')) return source;
  const result = structuredClone(target);
  for (const path of paths) {
    const segments = path.split('.').map(camelCase);
    let from: unknown = source;
    let to: JsonObject = result;
    segments.forEach((segment, index) => {
      from = (from as JsonObject | undefined)?.[segment];
      if (index === segments.length - 1) {
        if (from === undefined) delete to[segment];
        else to[segment] = structuredClone(from as JsonObject);
      } else {
        if (typeof to[segment] !== 'object' || to[segment] === null) to[segment] = {};
        to = to[segment] as JsonObject;
      }
    });
  }
  return result;
}

function requestedRevision(template: JsonObject): string | undefined {
  return typeof template.revision === 'string' && template.revision !== '' ? template.revision : undefined;
}

/** The user-settable part of a requested service. */
function specOf(input: JsonObject): JsonObject {
  const { name: _name, etag: _etag, ...spec } = input;
  return spec;
}

/** Cloud Run Admin API v2 `Services` RPCs. */
export function servicesHandlers(context: EmulatorContext, cloudRun: CloudRunState): Map<string, RpcHandler> {
  function newRevision(state: ServiceState, template: JsonObject): RevisionState {
    const short = requestedRevision(template) ?? generatedName(state);
    const now = timestamp(new Date());
    const { revision: _revision, labels, annotations, containers, ...rest } = template;
    const revision: RevisionState = {
      short,
      template,
      status: 'reconciling',
      resource: {
        name: `${state.name}/revisions/${short}`,
        uid: ids.uuid(),
        generation: '1',
        labels: (labels as JsonObject | undefined) ?? {},
        annotations: (annotations as JsonObject | undefined) ?? {},
        createTime: now,
        updateTime: now,
        launchStage: state.spec.launchStage ?? 'GA',
        service: state.name,
        containers: containers ?? [],
        ...rest,
        reconciling: true,
        conditions: [
          condition('Ready', 'CONDITION_RECONCILING', now),
          condition('ContainerHealthy', 'CONDITION_RECONCILING', now),
        ],
        observedGeneration: '1',
        logUri: `https://console.cloud.google.com/logs/viewer?project=${state.project}&resource=cloud_run_revision/service_name/${state.serviceId}/revision_name/${short}`,
        creator: context.principal,
        etag: ids.etag(),
      },
    };
    state.revisions.set(short, revision);
    return revision;
  }

  function generatedName(state: ServiceState): string {
    state.revisionCounter += 1;
    return `${state.serviceId}-${String(state.revisionCounter).padStart(5, '0')}-${ids.suffix()}`;
  }

  function runReconcile(
    state: ServiceState,
    revision: RevisionState | undefined,
    parent: string,
  ): JsonObject {
    return context.operations.start(
      parent,
      serviceAny(state),
      () => cloudRun.enqueue(state, () => cloudRun.reconcile(state, revision)),
      { metadataFromResult: () => serviceAny(state) },
    );
  }

  async function create(
    parent: string,
    serviceId: string,
    input: JsonObject,
    validateOnly: boolean,
  ): Promise<JsonObject> {
    const { project, location } = cloudRun.parseParent(parent);
    validateServiceId(serviceId);
    validateService(input, serviceId);
    context.checkPermission('run.services.create', parent);
    const key = cloudRun.keyOf(project, location, serviceId);
    const existing = cloudRun.services.get(key);
    if (existing && !existing.deleted)
      throw new RpcError('ALREADY_EXISTS', `Resource '${serviceId}' already exists.`);
    const spec = withServiceDefaults(specOf(input), context.projects.numberOf(project));
    const template = spec.template as JsonObject;
    // Traffic may name the first revision only when the request names it (a generated name is unknown).
    const named = requestedRevision(template);
    spec.traffic = validateTraffic(
      spec.traffic as JsonObject[] | undefined,
      serviceId,
      new Set(named ? [named] : []),
    ) as unknown as JsonObject[];
    const now = timestamp(new Date());
    const state: ServiceState = {
      key,
      name: `${parent}/services/${serviceId}`,
      project,
      location,
      serviceId,
      spec,
      status: {
        uid: ids.uuid(),
        generation: '1',
        createTime: now,
        updateTime: now,
        creator: context.principal,
        lastModifier: context.principal,
        reconciling: true,
        terminalCondition: condition('Ready', 'CONDITION_RECONCILING', now),
        etag: ids.etag(),
      },
      serving: [],
      revisions: new Map(),
      revisionCounter: 0,
      port: 0,
      tagPorts: new Map(),
      queue: Promise.resolve(),
      deleted: false,
    };
    if (validateOnly) return context.operations.finished(parent, serviceAny(state), serviceAny(state));
    cloudRun.services.set(key, state);
    await cloudRun.openRoutes(state);
    const revision = newRevision(state, template);
    state.status.latestCreatedRevision = revision.resource.name as string;
    return runReconcile(state, revision, parent);
  }

  const handlers: Record<string, RpcHandler> = {
    CreateService: (request) =>
      create(
        String(request.parent),
        String(request.serviceId),
        request.service as JsonObject,
        request.validateOnly === true,
      ),
    GetService(request) {
      const state = cloudRun.require(String(request.name));
      context.checkPermission('run.services.get', state.name);
      return serviceResource(state);
    },
    ListServices(request) {
      const parent = String(request.parent);
      const { project, location } = cloudRun.parseParent(parent);
      context.checkPermission('run.services.list', parent);
      const keyPrefix = cloudRun.keyOf(project, location, '');
      const all = [...cloudRun.services.values()]
        .filter((state) => !state.deleted && state.key.startsWith(keyPrefix))
        .sort((left, right) => left.serviceId.localeCompare(right.serviceId))
        .map(serviceResource);
      const { page, nextPageToken } = paginate(all, request.pageSize, request.pageToken);
      return { services: page, nextPageToken };
    },
    async UpdateService(request) {
      const input = request.service as JsonObject;
      const name = String(input.name ?? '');
      const parsed = cloudRun.parseName(name, 'service.name');
      const found = cloudRun.services.get(parsed.key);
      if ((!found || found.deleted) && request.allowMissing === true)
        return create(
          name.replace(/\/services\/[^/]+$/, ''),
          parsed.serviceId,
          input,
          request.validateOnly === true,
        );
      const state = cloudRun.require(name, 'service.name');
      context.checkPermission('run.services.update', state.name);
      if (typeof input.etag === 'string' && input.etag !== '' && input.etag !== state.status.etag)
        throw new RpcError(
          'ABORTED',
          `The etag '${input.etag}' does not match the current etag of service '${state.serviceId}'.`,
        );
      const mask =
        typeof request.updateMask === 'string' && request.updateMask !== ''
          ? request.updateMask.split(',')
          : undefined;
      const merged = mask ? applyMask(state.spec, specOf(input), mask) : specOf(input);
      if (!merged.template)
        throw invalidArgument('service.template', "Field 'service.template' is required but was not set.");
      validateService(merged, state.serviceId);
      const spec = withServiceDefaults(merged, context.projects.numberOf(state.project));
      const template = spec.template as JsonObject;
      let createsRevision = false;
      const requested = requestedRevision(template);
      if (templateChanged(state.spec.template as JsonObject, template)) {
        const existing = requested ? state.revisions.get(requested) : undefined;
        if (existing && templateChanged(existing.template, template))
          throw new RpcError(
            'ALREADY_EXISTS',
            `Revision named '${requested}' with different configuration already exists.`,
          );
        createsRevision = !existing;
      }
      const known = new Set([
        ...state.revisions.keys(),
        ...(createsRevision && requested ? [requested] : []),
      ]);
      spec.traffic = validateTraffic(
        spec.traffic as JsonObject[] | undefined,
        state.serviceId,
        known,
      ) as unknown as JsonObject[];
      const preview = { ...state, spec };
      if (request.validateOnly === true)
        return context.operations.finished(
          state.name.replace(/\/services\/.*$/, ''),
          serviceAny(preview),
          serviceAny(preview),
        );
      const changed = stableJson(spec) !== stableJson(state.spec);
      state.spec = spec;
      let revision: RevisionState | undefined;
      if (changed) {
        const now = timestamp(new Date());
        state.status.generation = String(Number(state.status.generation ?? '0') + 1);
        state.status.updateTime = now;
        state.status.lastModifier = context.principal;
        state.status.reconciling = true;
        state.status.terminalCondition = condition('Ready', 'CONDITION_RECONCILING', now);
        state.status.etag = ids.etag();
        if (createsRevision) {
          revision = newRevision(state, template);
          state.status.latestCreatedRevision = revision.resource.name as string;
        }
      }
      return runReconcile(state, revision, state.name.replace(/\/services\/.*$/, ''));
    },
    DeleteService(request) {
      const state = cloudRun.require(String(request.name));
      context.checkPermission('run.services.delete', state.name);
      if (typeof request.etag === 'string' && request.etag !== '' && request.etag !== state.status.etag)
        throw new RpcError(
          'ABORTED',
          `The etag '${request.etag}' does not match the current etag of service '${state.serviceId}'.`,
        );
      const parent = state.name.replace(/\/services\/.*$/, '');
      if (request.validateOnly === true)
        return context.operations.finished(parent, serviceAny(state), serviceAny(state));
      const deleting = serviceAny(state);
      deleting.deleteTime = timestamp(new Date());
      state.deleted = true;
      return context.operations.start(parent, deleting, () =>
        cloudRun.enqueue(state, async () => {
          await cloudRun.teardown(state);
          return deleting;
        }),
      );
    },
    GetIamPolicy(request) {
      const state = cloudRun.require(String(request.resource), 'resource');
      context.checkPermission('run.services.getIamPolicy', state.name);
      return context.iam.get(state.key);
    },
    SetIamPolicy(request) {
      const state = cloudRun.require(String(request.resource), 'resource');
      context.checkPermission('run.services.setIamPolicy', state.name);
      return context.iam.set(state.key, request.policy as JsonObject);
    },
    TestIamPermissions(request) {
      const state = cloudRun.require(String(request.resource), 'resource');
      const permissions = ((request.permissions as string[] | undefined) ?? []).filter((permission) => {
        try {
          context.checkPermission(permission, state.name);
          return true;
        } catch {
          return false;
        }
      });
      return { permissions };
    },
  };
  return new Map(Object.entries(handlers).map(([name, handler]) => [`${prefix}${name}`, handler]));
}
