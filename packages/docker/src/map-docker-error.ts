import { BerthError, ImageError } from '@berth/core';

/** What Berth was doing when the engine failed. */
export type DockerOperation = 'build' | 'push' | 'inspect' | 'tag' | 'ping';

const connectionCodes = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/** True when the error means the engine could not be reached at all (socket missing, refused…). */
export function isDockerUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && connectionCodes.has(code);
}

/** The engine is not reachable at `engine` (e.g. `unix:///var/run/docker.sock`). */
export function dockerUnavailableError(engine: string, error?: unknown): BerthError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const hint =
    code === 'EACCES'
      ? `Permission denied on ${engine}: run as a user in the \`docker\` group, or set DOCKER_HOST to an engine you may use.`
      : `Start the Docker engine (\`dockerd &\` or \`systemctl start docker\`), or set DOCKER_HOST to a running engine (tried ${engine}).`;
  return new BerthError(
    'DOCKER_UNAVAILABLE',
    `The Docker engine at ${engine} is not reachable${code ? ` (${String(code)})` : ''}.`,
    {
      hint,
      retryable: true,
      cause: error,
      details: { engine },
    },
  );
}

/** The registry (or its token service) could not be reached. */
export function registryUnreachableError(registry: string, error: unknown): ImageError {
  return new ImageError('IMAGE_PUSH_FAILED', `The registry ${registry} is not reachable.`, {
    hint: `Check that the registry ${registry} is running and reachable from this machine.`,
    retryable: true,
    cause: error,
    details: { registry },
  });
}

/** Map an error thrown by dockerode (not one reported inside a stream) to a BerthError. */
export function mapDockerError(
  error: unknown,
  operation: DockerOperation,
  engine: string,
  secrets: string[] = [],
): BerthError {
  if (BerthError.isInstance(error)) return error;
  if (isDockerUnavailable(error)) return dockerUnavailableError(engine, error);
  const message = redactSecrets(dockerErrorMessage(error), secrets);
  const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (operation === 'build') return buildFailedError(message, [], error);
  if (operation === 'push') return pushFailedError(message, error);
  if (statusCode === 404) {
    return new ImageError('IMAGE_NOT_FOUND', message, { cause: error, details: { operation } });
  }
  // Reading or tagging images is part of building one: report other engine refusals as build failures.
  return new ImageError('IMAGE_BUILD_FAILED', `The Docker engine refused to ${operation}: ${message}`, {
    hint: 'The Docker engine rejected the request; read the message, and check the engine with `GET /_ping` or its logs.',
    cause: error,
    retryable: typeof statusCode === 'number' && statusCode >= 500,
    details: { operation, ...(typeof statusCode === 'number' ? { statusCode } : {}) },
  });
}

/** A build failed; `output` is the tail of the build log, kept in `details.output`. */
export function buildFailedError(message: string, output: string[], cause?: unknown): ImageError {
  return new ImageError('IMAGE_BUILD_FAILED', `Image build failed: ${message}`, {
    hint: buildHint(message),
    cause,
    details: { error: message, output },
  });
}

/** A push failed; a refused login becomes REGISTRY_AUTH_FAILED. `message` must already be redacted. */
export function pushFailedError(
  message: string,
  cause?: unknown,
  where?: { registry: string; repository: string },
): ImageError {
  const location = where ? ` to ${where.registry}/${where.repository}` : '';
  if (
    /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied|\b401\b/i.test(
      message,
    )
  ) {
    return new ImageError('REGISTRY_AUTH_FAILED', `The registry refused the push${location}: ${message}`, {
      hint: 'The registry refused the credentials; check the username and password or token the provider supplies, and that they may push to this repository.',
      cause,
      details: { error: message, ...where },
    });
  }
  return new ImageError('IMAGE_PUSH_FAILED', `Image push${location} failed: ${message}`, {
    retryable: /timeout|connection|refused|reset|EOF|50\d/i.test(message),
    cause,
    details: { error: message, ...where },
  });
}

/** Replace every occurrence of the secret strings in `text` with `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (secret.length >= 3) result = result.split(secret).join('***');
  return result;
}

function buildHint(message: string): string {
  if (
    /COPY failed|ADD failed|not found in build context|excluded by \.dockerignore|no source files were specified|failed to compute cache key|failed to calculate checksum/i.test(
      message,
    )
  ) {
    return 'A COPY or ADD source is missing from the build context: check the path, and that .dockerignore does not exclude it.';
  }
  if (/non-zero code|exit code/i.test(message)) {
    return 'A RUN step failed; read its output in `details.output` and fix the command or the files it needs.';
  }
  if (
    /pull access denied|manifest unknown|no such image|repository does not exist|failed to resolve|not found/i.test(
      message,
    )
  ) {
    return 'The base image is not in the engine and could not be pulled; build or load it locally first (Berth does not pull by default: pass `pull: true` to refresh base images from a registry).';
  }
  if (/parse error|unknown instruction|dockerfile/i.test(message)) {
    return 'The Dockerfile is invalid; fix the instruction named in the message.';
  }
  return 'Read the build output in `details.output`; fix the Dockerfile or the build context.';
}

function dockerErrorMessage(error: unknown): string {
  const json = (error as { json?: unknown } | undefined)?.json;
  if (
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { message?: unknown }).message === 'string'
  ) {
    return (json as { message: string }).message;
  }
  return error instanceof Error ? error.message : String(error);
}
