import { BerthError, type ErrorCode, ProviderError } from '@berth/core';

/** `google.rpc.Code` names by number. */
const grpcNames = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** A `google.rpc.Code` name. */
export type GrpcCodeName = (typeof grpcNames)[number];

const httpToGrpc: Record<number, GrpcCodeName> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** What the SDK errors carry (gax `GoogleError`, gaxios errors), read structurally. */
interface SdkError {
  code?: unknown;
  status?: unknown;
  httpStatusCode?: unknown;
  message?: unknown;
  reason?: unknown;
  domain?: unknown;
  errorInfoMetadata?: unknown;
}

/**
 * The gRPC code of an SDK error. Over the REST transport some google-gax versions put the HTTP
 * status (404, 503…) where the gRPC code (5, 14…) belongs; both are accepted.
 */
export function grpcCodeOf(error: unknown): GrpcCodeName | undefined {
  const fields = (error ?? {}) as SdkError;
  if (typeof fields.status === 'string' && (grpcNames as readonly string[]).includes(fields.status))
    return fields.status as GrpcCodeName;
  const code = fields.code;
  if (typeof code === 'number') {
    if (code >= 0 && code < grpcNames.length) return grpcNames[code];
    if (code >= 100)
      return refineConflict(httpToGrpc[code] ?? (code >= 500 ? 'INTERNAL' : 'UNKNOWN'), fields);
  }
  if (typeof code === 'string' && (grpcNames as readonly string[]).includes(code))
    return code as GrpcCodeName;
  if (typeof fields.httpStatusCode === 'number')
    return refineConflict(httpToGrpc[fields.httpStatusCode] ?? 'UNKNOWN', fields);
  return undefined;
}

function refineConflict(code: GrpcCodeName, fields: SdkError): GrpcCodeName {
  // HTTP 409 is ALREADY_EXISTS or ABORTED; the message tells which.
  if (code === 'ABORTED' && /already exists/i.test(String(fields.message ?? ''))) return 'ALREADY_EXISTS';
  return code;
}

/** True for errors worth retrying unchanged: UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED (and their HTTP forms). */
export function isTransientGcpError(error: unknown): boolean {
  const code = grpcCodeOf(error);
  return code === 'UNAVAILABLE' || code === 'RESOURCE_EXHAUSTED' || code === 'DEADLINE_EXCEEDED';
}

const permissionRoles: [RegExp, string][] = [
  [/^run\.services\.(setIamPolicy|getIamPolicy)$/, 'roles/run.admin'],
  [/^run\./, 'roles/run.developer (or roles/run.admin to make the service public)'],
  [/^secretmanager\.versions\.access$/, 'roles/secretmanager.secretAccessor'],
  [/^secretmanager\./, 'roles/secretmanager.admin'],
  [/^artifactregistry\.repositories\.create$/, 'roles/artifactregistry.admin'],
  [/^artifactregistry\./, 'roles/artifactregistry.writer'],
  [/^iam\.serviceAccounts\.actAs$/, 'roles/iam.serviceAccountUser on the runtime service account'],
];

function roleFor(permission: string): string | undefined {
  return permissionRoles.find(([pattern]) => pattern.test(permission))?.[1];
}

function metadataOf(error: SdkError): Record<string, string> {
  const metadata = error.errorInfoMetadata;
  return typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, string>) : {};
}

/** Map any SDK error to a `BerthError` with a hint. `action` says what was being done (for the message). */
export function mapGcpError(error: unknown, action: string): BerthError {
  if (BerthError.isInstance(error)) return error;
  const fields = (error ?? {}) as SdkError;
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const code = grpcCodeOf(error);
  const reason = typeof fields.reason === 'string' ? fields.reason : undefined;
  const metadata = metadataOf(fields);
  const details: Record<string, unknown> = {
    action,
    ...(code ? { grpcCode: code } : {}),
    ...(typeof fields.httpStatusCode === 'number' ? { httpStatus: fields.httpStatusCode } : {}),
    ...(reason ? { reason } : {}),
  };
  const make = (berthCode: ErrorCode, options: { hint?: string; retryable?: boolean } = {}) =>
    new ProviderError(berthCode, `${action}: ${message}`, { cause: error, details, ...options });

  if (reason === 'SERVICE_DISABLED' || /has not been used in project .* or it is disabled/.test(message)) {
    const api = metadata.service ?? /apis\/api\/([a-z.]+)\//.exec(message)?.[1] ?? 'the API';
    return make('PROVIDER_API_DISABLED', {
      hint: `Enable ${api} for the project (console: APIs & Services > Enable APIs, or \`gcloud services enable ${api}\`), wait a minute, and retry.`,
    });
  }
  switch (code) {
    case 'PERMISSION_DENIED': {
      const permission = metadata.permission ?? /Permission '([^']+)'/.exec(message)?.[1];
      const role = permission ? roleFor(permission) : undefined;
      return make('PROVIDER_PERMISSION_DENIED', {
        hint: permission
          ? `The credentials lack '${permission}'${role ? `: grant ${role}` : ''}.`
          : 'The credentials lack a permission; see docs/providers/gcp.md for the roles Berth needs.',
      });
    }
    case 'UNAUTHENTICATED':
      return make('PROVIDER_PERMISSION_DENIED', {
        hint: 'No valid credentials: run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, or pass `authClient`.',
      });
    case 'NOT_FOUND':
      return make('PROVIDER_NOT_FOUND');
    case 'ALREADY_EXISTS':
    case 'ABORTED':
      return make('PROVIDER_CONFLICT', { retryable: code === 'ABORTED' });
    case 'RESOURCE_EXHAUSTED':
      return make('PROVIDER_QUOTA_EXCEEDED', { retryable: true });
    case 'UNAVAILABLE':
    case 'DEADLINE_EXCEEDED':
    case 'INTERNAL':
      return make('PROVIDER_UNAVAILABLE', { retryable: code !== 'INTERNAL' });
    case 'FAILED_PRECONDITION':
      if (/is not ready and cannot serve traffic/.test(message))
        return make('HEALTH_CHECK_FAILED', {
          hint: 'Cloud Run could not start the revision (it must listen on $PORT); read the message and the revision logs.',
        });
      return make('PROVIDER_REQUEST_FAILED');
    default:
      return make('PROVIDER_REQUEST_FAILED');
  }
}
