import { describe, expect, it } from 'vitest';
import { grpcCodeOf, isTransientGcpError, mapGcpError } from './map-gcp-error.js';

describe('grpcCodeOf', () => {
  it.each([
    [{ code: 5 }, 'NOT_FOUND'],
    [{ code: 404 }, 'NOT_FOUND'],
    [{ code: 14 }, 'UNAVAILABLE'],
    [{ code: 503 }, 'UNAVAILABLE'],
    [{ code: 8 }, 'RESOURCE_EXHAUSTED'],
    [{ code: 429 }, 'RESOURCE_EXHAUSTED'],
    [{ code: 409, message: 'Resource x already exists.' }, 'ALREADY_EXISTS'],
    [{ code: 409, message: 'etag mismatch' }, 'ABORTED'],
    [{ code: 7 }, 'PERMISSION_DENIED'],
    [{ code: 403 }, 'PERMISSION_DENIED'],
    [{ status: 'FAILED_PRECONDITION', code: 400 }, 'FAILED_PRECONDITION'],
    [{ httpStatusCode: 504 }, 'DEADLINE_EXCEEDED'],
    [{}, undefined],
  ])('%j is %s', (error, code) => {
    expect(grpcCodeOf(error)).toBe(code);
  });
});

describe('mapGcpError', () => {
  it.each([
    [{ code: 5, message: 'not found' }, 'PROVIDER_NOT_FOUND', false],
    [{ code: 404, message: 'not found' }, 'PROVIDER_NOT_FOUND', false],
    [{ code: 14, message: 'unavailable' }, 'PROVIDER_UNAVAILABLE', true],
    [{ code: 503, message: 'unavailable' }, 'PROVIDER_UNAVAILABLE', true],
    [{ code: 8, message: 'quota' }, 'PROVIDER_QUOTA_EXCEEDED', true],
    [{ code: 429, message: 'quota' }, 'PROVIDER_QUOTA_EXCEEDED', true],
    [{ code: 6, message: 'exists' }, 'PROVIDER_CONFLICT', false],
    [{ code: 10, message: 'aborted' }, 'PROVIDER_CONFLICT', true],
    [{ code: 3, message: 'bad' }, 'PROVIDER_REQUEST_FAILED', false],
    [{ code: 16, message: 'no creds' }, 'PROVIDER_PERMISSION_DENIED', false],
    [
      {
        code: 9,
        message: "Revision 'x' is not ready and cannot serve traffic. The user-provided container failed",
      },
      'HEALTH_CHECK_FAILED',
      false,
    ],
  ])('%j maps to %s (retryable %s)', (error, code, retryable) => {
    const mapped = mapGcpError(Object.assign(new Error(String(error.message)), error), 'do it');
    expect(mapped.code).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.message).toContain('do it');
  });

  it('names the API to enable for SERVICE_DISABLED', () => {
    const error = Object.assign(
      new Error('Cloud Run Admin API has not been used in project p before or it is disabled.'),
      {
        code: 7,
        reason: 'SERVICE_DISABLED',
        errorInfoMetadata: { service: 'run.googleapis.com', consumer: 'projects/p' },
      },
    );
    const mapped = mapGcpError(error, 'list services');
    expect(mapped.code).toBe('PROVIDER_API_DISABLED');
    expect(mapped.hint).toContain('run.googleapis.com');
  });

  it.each([
    ['run.services.setIamPolicy', 'roles/run.admin'],
    ['run.services.create', 'roles/run.developer'],
    ['secretmanager.secrets.create', 'roles/secretmanager.admin'],
    ['artifactregistry.repositories.create', 'roles/artifactregistry.admin'],
  ])('names the role granting %s', (permission, role) => {
    const error = Object.assign(
      new Error(`Permission '${permission}' denied on resource 'x' (or it may not exist).`),
      {
        code: 403,
        reason: 'IAM_PERMISSION_DENIED',
        errorInfoMetadata: { permission },
      },
    );
    const mapped = mapGcpError(error, 'act');
    expect(mapped.code).toBe('PROVIDER_PERMISSION_DENIED');
    expect(mapped.hint).toContain(role);
  });

  it('treats UNAVAILABLE, RESOURCE_EXHAUSTED and DEADLINE_EXCEEDED as transient, in both code forms', () => {
    for (const code of [14, 503, 8, 429, 4, 504]) expect(isTransientGcpError({ code })).toBe(true);
    for (const code of [3, 400, 5, 404, 7, 403, 10]) expect(isTransientGcpError({ code })).toBe(false);
  });
});
