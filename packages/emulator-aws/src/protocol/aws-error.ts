/** How a service names the message member of its errors in its Smithy model. */
export type MessageField = 'Message' | 'message';

/**
 * An error answered on the wire as awsJson errors are: HTTP status, `x-amzn-errortype` and a body
 * with `__type` and the model's message member.
 */
export class AwsError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** Extra members of the error shape (e.g. ECS `ClientException` has none, some shapes have more). */
  readonly fields: Record<string, unknown>;
  constructor(code: string, message: string, statusCode = 400, fields: Record<string, unknown> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.statusCode = statusCode;
    this.fields = fields;
  }
}

/**
 * The error AWS's request validation answers for a member that breaks a model constraint
 * (`@required`, `@pattern`, `@length`, `@range`, enums), before the service itself runs.
 */
export function validationError(member: string, value: unknown, constraint: string): AwsError {
  const shown = value === undefined ? 'null' : typeof value === 'string' ? value : JSON.stringify(value);
  return new AwsError(
    'ValidationException',
    `1 validation error detected: Value '${shown}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** `Member must not be null`. */
export function missingMember(member: string): AwsError {
  return validationError(member, undefined, 'Member must not be null');
}

/** A generic server-side failure. */
export function internalError(code: string, message = 'An internal error occurred.'): AwsError {
  return new AwsError(code, message, 500);
}
