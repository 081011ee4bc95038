import { BerthError, StateError } from '@berth/core';

/** SQLSTATE classes and codes that mean "the server is not there right now": retry. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether a `pg` error is transient (connection lost, server restarting, serialization): worth a retry. */
export function isTransientPostgresError(error: unknown): boolean {
  if (BerthError.isInstance(error)) return false;
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  if (code && (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || UNAVAILABLE_SOCKET_CODES.has(code)))
    return true;
  return /Connection terminated|connection (?:is )?closed|Client has encountered a connection error/i.test(
    message ?? '',
  );
}

/** Translate what `pg` throws into a `BerthError`; Berth's own errors pass through. */
export function mapPostgresError(error: unknown, what: string): BerthError {
  if (BerthError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isTransientPostgresError(error))
    return new StateError('STATE_STORE_UNAVAILABLE', `PostgreSQL state store: ${what} failed: ${message}`, {
      retryable: true,
      cause: error,
    });
  return new StateError('STATE_STORE_UNAVAILABLE', `PostgreSQL state store: ${what} failed: ${message}`, {
    retryable: false,
    hint: 'Check the connection string, that the role may create the schema and tables, and the server log.',
    cause: error,
  });
}
