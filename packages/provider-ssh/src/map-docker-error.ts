import { BerthError, type ErrorCode, ImageError, ProviderError } from '@berth/core';

/** What the Docker engine operation was, for messages and for choosing the error code. */
export type DockerOperation =
  | 'ping'
  | 'list-containers'
  | 'inspect-container'
  | 'create-container'
  | 'start-container'
  | 'stop-container'
  | 'remove-container'
  | 'container-logs'
  | 'container-events'
  | 'inspect-image'
  | 'pull-image'
  | 'remove-image';

interface DockerErrorShape {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

/** The engine's own message (`json.message`), else the error's. */
export function dockerMessage(error: unknown): string {
  const shape = (error ?? {}) as DockerErrorShape;
  const message = shape.json?.message ?? shape.message ?? String(error);
  return message.replace(/^\(HTTP code \d+\) [a-z -]+ - /i, '').trim();
}

/** True for a 404 from the engine (no such container or image). */
export function isDockerNotFound(error: unknown): boolean {
  return (error as DockerErrorShape | undefined)?.statusCode === 404;
}

/** True for a 304 (already started / already stopped). */
export function isDockerNotModified(error: unknown): boolean {
  return (error as DockerErrorShape | undefined)?.statusCode === 304;
}

function codeFor(operation: DockerOperation, status: number | undefined, message: string): ErrorCode {
  if (operation === 'pull-image') {
    if (
      status === 401 ||
      /unauthorized|authentication required|no basic auth credentials|denied/i.test(message)
    )
      return 'REGISTRY_AUTH_FAILED';
    if (status === 404 || /not found|manifest unknown/i.test(message)) return 'IMAGE_NOT_FOUND';
    return 'PROVIDER_REQUEST_FAILED';
  }
  if (operation === 'create-container' && status === 404) return 'IMAGE_NOT_FOUND';
  if (status === 404) return 'PROVIDER_NOT_FOUND';
  if (status === 409 || /already (allocated|in use)|address already in use/i.test(message))
    return 'PROVIDER_CONFLICT';
  if (status === 401 || status === 403) return 'PROVIDER_PERMISSION_DENIED';
  if (status !== undefined && status >= 500) return 'PROVIDER_REQUEST_FAILED';
  return 'PROVIDER_REQUEST_FAILED';
}

function hintFor(code: ErrorCode, message: string): string | undefined {
  if (code === 'PROVIDER_CONFLICT' && /port|address/i.test(message))
    return 'Another process or container holds the host port: stop it, or set the `hostPort` option to a free port.';
  return undefined;
}

/**
 * Translate an error from the Docker engine (Dockerode) into a `BerthError`. The one place raw
 * engine errors are interpreted. `subject` names the container or image for the message.
 */
export function mapDockerError(error: unknown, operation: DockerOperation, subject?: string): BerthError {
  if (BerthError.isInstance(error)) return error;
  const shape = (error ?? {}) as DockerErrorShape;
  const message = dockerMessage(error);
  const where = subject ? ` (${subject})` : '';
  if (shape.code && unreachableCodes.has(shape.code))
    return new ProviderError('DOCKER_UNAVAILABLE', `The Docker engine cannot be reached: ${message}`, {
      cause: error,
      retryable: true,
    });
  const code = codeFor(operation, shape.statusCode, message);
  const text = `Docker ${operation}${where} failed: ${message}`;
  const hint = hintFor(code, message);
  const options = {
    cause: error,
    retryable: code === 'PROVIDER_CONFLICT' || (shape.statusCode ?? 0) >= 500,
    ...(hint ? { hint } : {}),
    ...(shape.statusCode ? { details: { statusCode: shape.statusCode } } : {}),
  };
  if (operation === 'pull-image' || code === 'IMAGE_NOT_FOUND') return new ImageError(code, text, options);
  return new ProviderError(code, text, options);
}
