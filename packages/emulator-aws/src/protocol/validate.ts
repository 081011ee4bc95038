import { missingMember, validationError } from './aws-error.js';

/** Checks of model constraints on one request member; each throws AWS's ValidationException. */
export interface StringConstraints {
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: RegExp;
  /** The pattern as the model spells it, for the message. */
  patternText?: string;
  enum?: readonly string[];
}

/** A string member: returns it (or `undefined` when absent and optional). */
export function checkString(
  member: string,
  value: unknown,
  constraints: StringConstraints = {},
): string | undefined {
  if (value === undefined || value === null) {
    if (constraints.required) throw missingMember(member);
    return undefined;
  }
  if (typeof value !== 'string') throw validationError(member, value, 'Member must be a string');
  if (constraints.min !== undefined && value.length < constraints.min)
    throw validationError(
      member,
      value,
      `Member must have length greater than or equal to ${constraints.min}`,
    );
  if (constraints.max !== undefined && value.length > constraints.max)
    throw validationError(member, value, `Member must have length less than or equal to ${constraints.max}`);
  if (constraints.pattern && !constraints.pattern.test(value))
    throw validationError(
      member,
      value,
      `Member must satisfy regular expression pattern: ${constraints.patternText ?? constraints.pattern.source}`,
    );
  if (constraints.enum && !constraints.enum.includes(value))
    throw validationError(
      member,
      value,
      `Member must satisfy enum value set: [${constraints.enum.join(', ')}]`,
    );
  return value;
}

/** A required string member. */
export function requireString(member: string, value: unknown, constraints: StringConstraints = {}): string {
  return checkString(member, value, { ...constraints, required: true }) as string;
}

/** An integer member within `@range`. */
export function checkInteger(
  member: string,
  value: unknown,
  range: { min?: number; max?: number; required?: boolean } = {},
): number | undefined {
  if (value === undefined || value === null) {
    if (range.required) throw missingMember(member);
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw validationError(member, value, 'Member must be an integer');
  if (range.min !== undefined && value < range.min)
    throw validationError(member, value, `Member must have value greater than or equal to ${range.min}`);
  if (range.max !== undefined && value > range.max)
    throw validationError(member, value, `Member must have value less than or equal to ${range.max}`);
  return value;
}

/** A boolean member. */
export function checkBoolean(member: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw validationError(member, value, 'Member must be a boolean');
  return value;
}

/** A structure member: returns it as a record (or `undefined`). */
export function checkObject(
  member: string,
  value: unknown,
  required = false,
): Record<string, unknown> | undefined {
  if (value === undefined || value === null) {
    if (required) throw missingMember(member);
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value))
    throw validationError(member, value, 'Member must be a structure');
  return value as Record<string, unknown>;
}

/** A list member within `@length`. */
export function checkList(
  member: string,
  value: unknown,
  length: { min?: number; max?: number; required?: boolean } = {},
): unknown[] | undefined {
  if (value === undefined || value === null) {
    if (length.required) throw missingMember(member);
    return undefined;
  }
  if (!Array.isArray(value)) throw validationError(member, value, 'Member must be a list');
  if (length.min !== undefined && value.length < length.min)
    throw validationError(member, value, `Member must have length greater than or equal to ${length.min}`);
  if (length.max !== undefined && value.length > length.max)
    throw validationError(member, value, `Member must have length less than or equal to ${length.max}`);
  return value;
}
