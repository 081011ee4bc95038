import type { EmulatorContext, RpcHandler } from '../emulator-context.js';
import { paginate } from '../rpc/paginate.js';
import { invalidArgument, type JsonObject, RpcError } from '../rpc/rpc-error.js';
import { type CloudRunState, shortName } from './cloud-run-state.js';
import type { RevisionState, ServiceState } from './service-state.js';
import { referencedRevisions, type Target } from './traffic.js';

const prefix = 'google.cloud.run.v2.Revisions.';
const operations = 'google.longrunning.Operations.';
const api = '@run.googleapis.com';

/** Cloud Run Admin API v2 `Revisions` RPCs and Cloud Run's long-running operations. */
export function revisionsHandlers(
  context: EmulatorContext,
  cloudRun: CloudRunState,
): Map<string, RpcHandler> {
  function requireRevision(name: string): { state: ServiceState; revision: RevisionState } {
    const match = /^(projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+)\/revisions\/([^/]+)$/.exec(name);
    if (!match?.[1] || !match[2]) {
      if (/\/workerPools\//.test(name))
        throw new RpcError('UNIMPLEMENTED', 'Worker pools are not implemented by the Berth GCP emulator.');
      throw invalidArgument('name', `Invalid resource name: '${name}'.`);
    }
    const state = cloudRun.require(match[1]);
    const revision = state.revisions.get(match[2]);
    if (!revision)
      throw new RpcError(
        'NOT_FOUND',
        `Resource '${match[2]}' of kind 'REVISION' in region '${state.location}' in project '${state.project}' does not exist.`,
      );
    return { state, revision };
  }

  function operationParent(name: string): string {
    const match = /^(projects\/[^/]+\/locations\/[^/]+)(\/operations\/[^/]+)?$/.exec(name);
    if (!match?.[1]) throw invalidArgument('name', `Invalid operation name: '${name}'.`);
    return match[1];
  }

  const handlers: Record<string, RpcHandler> = {
    [`${prefix}GetRevision`](request) {
      const { revision } = requireRevision(String(request.name));
      context.checkPermission('run.revisions.get', String(request.name));
      return revision.resource;
    },
    [`${prefix}ListRevisions`](request) {
      const parent = String(request.parent);
      const state = cloudRun.require(parent, 'parent');
      context.checkPermission('run.revisions.list', parent);
      const all = [...state.revisions.values()]
        .map((revision) => revision.resource)
        .sort((left, right) => String(right.createTime).localeCompare(String(left.createTime)));
      const { page, nextPageToken } = paginate(all, request.pageSize, request.pageToken);
      return { revisions: page, nextPageToken };
    },
    [`${prefix}DeleteRevision`](request) {
      const name = String(request.name);
      const { state, revision } = requireRevision(name);
      context.checkPermission('run.revisions.delete', name);
      if (typeof request.etag === 'string' && request.etag !== '' && request.etag !== revision.resource.etag)
        throw new RpcError(
          'ABORTED',
          `The etag '${request.etag}' does not match the current etag of revision '${revision.short}'.`,
        );
      const latestReady = shortName(state.status.latestReadyRevision);
      const inUse =
        referencedRevisions(state.serving, latestReady).has(revision.short) ||
        referencedRevisions(state.spec.traffic as unknown as Target[], latestReady).has(revision.short);
      if (inUse)
        throw new RpcError(
          'FAILED_PRECONDITION',
          `Revision '${revision.short}' is serving traffic or has a tag and cannot be deleted.`,
        );
      const parent = state.name.replace(/\/services\/.*$/, '');
      const snapshot = { '@type': 'type.googleapis.com/google.cloud.run.v2.Revision', ...revision.resource };
      if (request.validateOnly === true) return context.operations.finished(parent, snapshot, snapshot);
      return context.operations.start(parent, snapshot, () =>
        cloudRun.enqueue(state, async () => {
          await cloudRun.retire(revision);
          state.revisions.delete(revision.short);
          return snapshot;
        }),
      );
    },
    [`${operations}GetOperation${api}`](request) {
      const name = String(request.name);
      context.checkPermission('run.operations.get', name);
      return context.operations.get(name);
    },
    [`${operations}ListOperations${api}`](request) {
      const name = String(request.name);
      operationParent(name);
      context.checkPermission('run.operations.list', name);
      return context.operations.list(name, Number(request.pageSize ?? 0), String(request.pageToken ?? ''));
    },
    [`${operations}WaitOperation${api}`](request) {
      const name = String(request.name);
      context.checkPermission('run.operations.get', name);
      const timeout =
        typeof request.timeout === 'string' ? Number.parseFloat(request.timeout) * 1000 : 60_000;
      return context.operations.wait(name, Math.min(timeout, 600_000));
    },
    [`${operations}DeleteOperation${api}`](request) {
      const name = String(request.name);
      context.checkPermission('run.operations.delete', name);
      context.operations.delete(name);
      return {};
    },
  };
  return new Map(Object.entries(handlers));
}

export type { JsonObject };
