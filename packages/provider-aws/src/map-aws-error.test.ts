import { describe, expect, it } from 'vitest';
import { isThrottlingError, isTransientAwsError, mapAwsError } from './map-aws-error.js';

/** An error shaped like the SDK's `ServiceException`. */
function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
  });
}

describe('mapAwsError', () => {
  it.each([
    [
      'AccessDeniedException',
      'User: arn:aws:iam::1:user/ci is not authorized to perform: ecr:CreateRepository on resource: x',
      'create repository',
      'PROVIDER_PERMISSION_DENIED',
      /ecr:CreateRepository/,
    ],
    [
      'AccessDeniedException',
      'Access denied',
      'create App Runner service x (apprunner:CreateService)',
      'PROVIDER_PERMISSION_DENIED',
      /apprunner:CreateService/,
    ],
    [
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
      'list services',
      'PROVIDER_PERMISSION_DENIED',
      /AWS_PROFILE/,
    ],
    ['ThrottlingException', 'Rate exceeded', 'describe service', 'PROVIDER_QUOTA_EXCEEDED', /throttled/],
    [
      'InvalidStateException',
      'Operation abc (UPDATE_SERVICE) is in progress.',
      'update service',
      'PROVIDER_BUSY',
      /one operation at a time/,
    ],
    [
      'ResourceNotFoundException',
      'Secrets Manager can’t find the specified secret.',
      'describe secret',
      'PROVIDER_NOT_FOUND',
      undefined,
    ],
    [
      'RepositoryNotFoundException',
      'The repository does not exist',
      'describe repository',
      'PROVIDER_NOT_FOUND',
      undefined,
    ],
    ['ServiceNotFoundException', 'Service not found.', 'describe', 'PROVIDER_NOT_FOUND', undefined],
    [
      'ResourceExistsException',
      'The operation failed because the secret already exists.',
      'create secret',
      'PROVIDER_CONFLICT',
      undefined,
    ],
    ['ServiceNotActiveException', 'Service was not ACTIVE.', 'update', 'PROVIDER_CONFLICT', /draining/],
    ['InvalidRequestException', 'bad', 'create', 'PROVIDER_REQUEST_FAILED', undefined],
  ])('%s → code and hint', (name, message, action, code, hint) => {
    const mapped = mapAwsError(sdkError(name, message), action);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toContain(action);
    expect(mapped.message).toContain(name);
    if (hint) expect(mapped.hint).toMatch(hint);
    expect(mapped.details).toMatchObject({ awsError: name, httpStatus: 400, requestId: 'req-1' });
  });

  it('marks busy and throttled errors retryable, and server faults unavailable', () => {
    expect(mapAwsError(sdkError('InvalidStateException', 'x'), 'a').retryable).toBe(true);
    expect(mapAwsError(sdkError('ThrottlingException', 'x'), 'a').retryable).toBe(true);
    const server = mapAwsError(sdkError('InternalServiceErrorException', 'boom', 500), 'a');
    expect(server.code).toBe('PROVIDER_UNAVAILABLE');
    expect(server.retryable).toBe(true);
  });

  it('tells transient errors from the rest', () => {
    expect(isThrottlingError(sdkError('ThrottlingException', 'x'))).toBe(true);
    expect(isThrottlingError(sdkError('Whatever', 'x', 429))).toBe(true);
    expect(isTransientAwsError(sdkError('ServiceUnavailable', 'x', 503))).toBe(true);
    expect(isTransientAwsError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientAwsError(sdkError('InvalidStateException', 'x'))).toBe(false);
    expect(isTransientAwsError(sdkError('AccessDeniedException', 'x', 403))).toBe(false);
  });
});
