import { ids } from './projects.js';
import { type JsonObject, RpcError } from './rpc/rpc-error.js';

interface OperationRecord {
  name: string;
  /** `projects/{p}/locations/{l}`: what ListOperations lists under. */
  parent: string;
  metadata: JsonObject;
  done: boolean;
  result?: { response: JsonObject } | { error: JsonObject };
  waiters: (() => void)[];
  startedAt: number;
}

/** Long-running operations (`google.longrunning.Operation`), shared by Cloud Run and Artifact Registry. */
export class OperationStore {
  private readonly operations = new Map<string, OperationRecord>();

  constructor(private readonly latency: () => number) {}

  /**
   * Start an operation whose `work` runs in the background. The operation reports `done` once the
   * work settled and the configured latency passed; a thrown `RpcError` becomes its `error`.
   */
  start(
    parent: string,
    metadata: JsonObject,
    work: () => Promise<JsonObject>,
    options: { metadataFromResult?: () => JsonObject } = {},
  ): JsonObject {
    const record: OperationRecord = {
      name: `${parent}/operations/${ids.uuid()}`,
      parent,
      metadata,
      done: false,
      waiters: [],
      startedAt: Date.now(),
    };
    this.operations.set(record.name, record);
    void (async () => {
      let result: OperationRecord['result'];
      try {
        result = { response: await work() };
      } catch (error) {
        const rpc = error instanceof RpcError ? error : new RpcError('INTERNAL', String(error));
        result = { error: rpc.toStatus() };
      }
      const remaining = record.startedAt + this.latency() - Date.now();
      if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
      if (options.metadataFromResult) record.metadata = options.metadataFromResult();
      record.result = result;
      record.done = true;
      for (const waiter of record.waiters.splice(0)) waiter();
    })();
    return this.toJson(record);
  }

  /** An operation that is already finished (e.g. `validateOnly`). */
  finished(parent: string, metadata: JsonObject, response: JsonObject): JsonObject {
    const record: OperationRecord = {
      name: `${parent}/operations/${ids.uuid()}`,
      parent,
      metadata,
      done: true,
      result: { response },
      waiters: [],
      startedAt: Date.now(),
    };
    this.operations.set(record.name, record);
    return this.toJson(record);
  }

  /** Replace the metadata of a running operation (Cloud Run reports the service as it reconciles). */
  updateMetadata(name: string, metadata: JsonObject): void {
    const record = this.operations.get(name);
    if (record) record.metadata = metadata;
  }

  get(name: string): JsonObject {
    return this.toJson(this.require(name));
  }

  list(parent: string, pageSize: number, pageToken: string): JsonObject {
    const all = [...this.operations.values()].filter((record) => record.parent === parent);
    const start = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString()) || 0 : 0;
    const size = pageSize > 0 ? pageSize : 100;
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? Buffer.from(String(start + size)).toString('base64url') : '';
    return { operations: page.map((record) => this.toJson(record)), nextPageToken: next };
  }

  /** Wait until done or `timeoutMs` passed; returns the operation either way. */
  async wait(name: string, timeoutMs: number): Promise<JsonObject> {
    const record = this.require(name);
    if (!record.done)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        record.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    return this.toJson(record);
  }

  delete(name: string): void {
    this.require(name);
    this.operations.delete(name);
  }

  /** Resolve once every operation has finished (used when closing). */
  async settle(timeoutMs: number): Promise<void> {
    await Promise.all(
      [...this.operations.values()]
        .filter((record) => !record.done)
        .map((record) => this.wait(record.name, timeoutMs)),
    );
  }

  private require(name: string): OperationRecord {
    const record = this.operations.get(name);
    if (!record) throw new RpcError('NOT_FOUND', `Operation '${name}' was not found.`);
    return record;
  }

  private toJson(record: OperationRecord): JsonObject {
    return {
      name: record.name,
      metadata: record.metadata,
      done: record.done,
      ...(record.result ?? {}),
    };
  }
}
