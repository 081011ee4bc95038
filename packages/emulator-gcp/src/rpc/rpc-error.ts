import { grpcCodes, httpStatusOf, type StatusName } from './status-codes.js';

/** A JSON value as it appears on the wire. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** One `google.rpc.Status` detail, already in its JSON form with `@type`. */
export type ErrorDetail = JsonObject & { '@type': string };

/**
 * An error the emulator answers with: a `google.rpc.Status` carried over HTTP as
 * `{ "error": { "code": <http>, "message", "status": <name>, "details": [...] } }`.
 */
export class RpcError extends Error {
  readonly status: StatusName;
  readonly details: ErrorDetail[];

  constructor(status: StatusName, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'RpcError';
    this.status = status;
    this.details = details;
  }

  get httpStatus(): number {
    return httpStatusOf[this.status];
  }

  /** The HTTP response body, as Google's JSON front end writes it. */
  toHttpBody(): JsonObject {
    return {
      error: {
        code: this.httpStatus,
        message: this.message,
        status: this.status,
        ...(this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }

  /** The `google.rpc.Status` embedded in a failed long-running operation (numeric gRPC code). */
  toStatus(): JsonObject {
    return { code: grpcCodes[this.status], message: this.message };
  }
}

/** `google.rpc.ErrorInfo` detail. */
export function errorInfo(
  reason: string,
  domain: string,
  metadata: Record<string, string> = {},
): ErrorDetail {
  return { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain, metadata };
}

/** `google.rpc.BadRequest` detail with one field violation. */
export function badRequest(field: string, description: string): ErrorDetail {
  return { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description }] };
}

/** 400 INVALID_ARGUMENT naming the offending field, like the real front end. */
export function invalidArgument(field: string, description: string): RpcError {
  return new RpcError('INVALID_ARGUMENT', description, [badRequest(field, description)]);
}

/** 403 for a disabled API, with the `SERVICE_DISABLED` ErrorInfo the real APIs send. */
export function serviceDisabled(api: string, project: string): RpcError {
  return new RpcError(
    'PERMISSION_DENIED',
    `${apiTitle(api)} has not been used in project ${project} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/${api}/overview?project=${project} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
    [errorInfo('SERVICE_DISABLED', 'googleapis.com', { service: api, consumer: `projects/${project}` })],
  );
}

/** 403 for a missing IAM permission, with the `IAM_PERMISSION_DENIED` ErrorInfo. */
export function permissionDenied(permission: string, resource: string): RpcError {
  return new RpcError(
    'PERMISSION_DENIED',
    `Permission '${permission}' denied on resource '${resource}' (or it may not exist).`,
    [errorInfo('IAM_PERMISSION_DENIED', 'iam.googleapis.com', { permission })],
  );
}

function apiTitle(api: string): string {
  const titles: Record<string, string> = {
    'run.googleapis.com': 'Cloud Run Admin API',
    'secretmanager.googleapis.com': 'Secret Manager API',
    'artifactregistry.googleapis.com': 'Artifact Registry API',
  };
  return titles[api] ?? api;
}
