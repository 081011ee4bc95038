import type { FaultController } from './faults.js';
import type { IamPolicies } from './iam-policies.js';
import type { OperationStore } from './operations.js';
import type { ProjectDirectory } from './projects.js';
import type { RpcMethod } from './rpc/proto-registry.js';
import type { JsonObject } from './rpc/rpc-error.js';

/** Shared state and settings every API handler sees. */
export interface EmulatorContext {
  projects: ProjectDirectory;
  operations: OperationStore;
  iam: IamPolicies;
  faults: FaultController;
  /** Identity reported as `creator` / `lastModifier`. */
  principal: string;
  /** Throw 403 IAM_PERMISSION_DENIED when the emulator was told to deny `permission`. */
  checkPermission(permission: string, resource: string): void;
  log(message: string): void;
}

/** What a handler knows about the call. */
export interface CallInfo {
  method: RpcMethod;
}

/** Implements one RPC on canonical (validated) JSON. */
export type RpcHandler = (request: JsonObject, call: CallInfo) => Promise<JsonObject> | JsonObject;
