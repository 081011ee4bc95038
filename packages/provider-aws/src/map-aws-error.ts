import { BerthError, type ErrorCode, ProviderError } from '@berth/core';

/** What AWS SDK v3 errors carry (`ServiceException`), read structurally. */
interface SdkError {
  name?: unknown;
  message?: unknown;
  Message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  $retryable?: unknown;
}

const throttlingNames = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

const unavailableNames = new Set([
  'InternalServiceErrorException',
  'InternalFailure',
  'InternalServerError',
  'InternalServiceError',
  'ServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** The error's `__type` as the SDK names it (`name`), e.g. `InvalidStateException`. */
export function awsErrorName(error: unknown): string | undefined {
  const name = (error as SdkError | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

function httpStatusOf(error: unknown): number | undefined {
  const status = (error as SdkError | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** True for throttling: retried with backoff on the run's clock. */
export function isThrottlingError(error: unknown): boolean {
  const name = awsErrorName(error);
  return (name !== undefined && throttlingNames.has(name)) || httpStatusOf(error) === 429;
}

/** True for errors worth retrying unchanged: throttling, server faults, network failures. */
export function isTransientAwsError(error: unknown): boolean {
  if (BerthError.isInstance(error)) return false;
  if (isThrottlingError(error)) return true;
  const name = awsErrorName(error);
  if (name !== undefined && unavailableNames.has(name)) return true;
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 500) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'EPIPE';
}

/** The IAM action an API call needs, from the action text Berth gives (`iam <service>:<Action>`). */
const actionPattern = /\b((?:apprunner|ecs|ecr|secretsmanager|sts|iam):[A-Za-z]+)\b/;

function missingAction(message: string, action: string): string | undefined {
  // AWS: "User: arn:… is not authorized to perform: ecr:CreateRepository on resource: …"
  const fromMessage = /not authorized to perform:? ([a-z0-9-]+:[A-Za-z]+)/.exec(message)?.[1];
  return fromMessage ?? actionPattern.exec(action)?.[1];
}

/**
 * Map any AWS SDK error to a `BerthError` with a hint. `action` says what was being done, and may
 * name the IAM action it needs in parentheses, e.g. `create repository x (ecr:CreateRepository)`.
 */
export function mapAwsError(error: unknown, action: string): BerthError {
  if (BerthError.isInstance(error)) return error;
  const fields = (error ?? {}) as SdkError;
  const message =
    typeof fields.message === 'string' && fields.message
      ? fields.message
      : typeof fields.Message === 'string'
        ? fields.Message
        : String(error);
  const name = awsErrorName(error) ?? 'Error';
  const status = httpStatusOf(error);
  const details: Record<string, unknown> = {
    action,
    awsError: name,
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(fields.$metadata?.requestId ? { requestId: fields.$metadata.requestId } : {}),
  };
  const make = (code: ErrorCode, options: { hint?: string; retryable?: boolean } = {}) =>
    new ProviderError(code, `${action}: ${name}: ${message}`, { cause: error, details, ...options });

  if (/^AccessDenied/.test(name) || name === 'UnauthorizedOperation' || name === 'AccessDeniedException') {
    const missing = missingAction(message, action);
    return make('PROVIDER_PERMISSION_DENIED', {
      hint: missing
        ? `The credentials lack the IAM action ${missing}: add it to the deploying principal's policy (docs/providers/aws.md lists the least-privilege policy).`
        : 'The credentials lack an IAM permission; see docs/providers/aws.md for the least-privilege policy.',
    });
  }
  if (
    [
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      'InvalidSignatureException',
      'SignatureDoesNotMatch',
      'MissingAuthenticationTokenException',
      'ExpiredTokenException',
      'ExpiredToken',
      'CredentialsProviderError',
    ].includes(name)
  )
    return make('PROVIDER_PERMISSION_DENIED', {
      hint: 'No valid AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws sso login`, or pass `credentials`.',
    });
  if (isThrottlingError(error))
    return make('PROVIDER_QUOTA_EXCEEDED', {
      retryable: true,
      hint: 'AWS throttled the calls and retries ran out; wait a minute and retry, or raise `retry.attempts`.',
    });
  if (name === 'InvalidStateException')
    return new ProviderError('PROVIDER_BUSY', `${action}: ${name}: ${message}`, {
      cause: error,
      details,
      retryable: true,
      hint: 'App Runner runs one operation at a time on a service: wait for the operation named in the message to end, then retry.',
    });
  if (
    name === 'ResourceNotFoundException' ||
    name === 'RepositoryNotFoundException' ||
    name === 'ServiceNotFoundException' ||
    name === 'ImageNotFoundException' ||
    name === 'NotFoundException'
  )
    return make('PROVIDER_NOT_FOUND');
  if (name === 'ResourceExistsException' || name === 'RepositoryAlreadyExistsException')
    return make('PROVIDER_CONFLICT');
  if (name === 'ServiceNotActiveException')
    return make('PROVIDER_CONFLICT', {
      retryable: true,
      hint: 'The ECS service is draining or inactive; wait for its deletion to finish, then retry.',
    });
  if (name === 'ServiceQuotaExceededException' || name === 'LimitExceededException')
    return make('PROVIDER_QUOTA_EXCEEDED', {
      hint: 'An AWS service quota was hit; raise it in Service Quotas.',
    });
  if (isTransientAwsError(error)) return make('PROVIDER_UNAVAILABLE', { retryable: true });
  return make('PROVIDER_REQUEST_FAILED');
}
