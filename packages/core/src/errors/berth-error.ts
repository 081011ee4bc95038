import { type ErrorCode, errorCodes } from './error-codes.js';

const brand = Symbol.for('berth.error');

/** Options shared by every Berth error. */
export interface BerthErrorOptions {
  /** What the user should do next; defaults to the code's hint from `errorCodes`. */
  hint?: string;
  /** True when the same call may succeed if retried unchanged. */
  retryable?: boolean;
  /** The underlying error. */
  cause?: unknown;
  /** Structured, JSON-serialisable details (never secret values). */
  details?: Record<string, unknown>;
}

/** The JSON form of a `BerthError`, as it appears in results and history. */
export interface BerthErrorJson {
  code: ErrorCode;
  message: string;
  hint: string;
  retryable: boolean;
  details?: Record<string, unknown>;
  /**
   * The chain of underlying errors (`cause`), summarised: name, message and code (when the error has
   * one), outermost first, at most 5 deep. Redacted like the rest of the result.
   */
  cause?: BerthErrorCause[];
}

/** One link of a `BerthErrorJson.cause` chain. */
export interface BerthErrorCause {
  name: string;
  message: string;
  code?: string;
}

/** Summarise `error.cause`, `error.cause.cause`… (at most 5), for JSON results. */
export function causeChainOf(error: unknown): BerthErrorCause[] {
  const chain: BerthErrorCause[] = [];
  let cause = (error as { cause?: unknown } | undefined)?.cause;
  while (cause !== undefined && cause !== null && chain.length < 5) {
    if (typeof cause === 'object') {
      const value = cause as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
      const code =
        typeof value.code === 'string' || typeof value.code === 'number' ? String(value.code) : undefined;
      chain.push({
        name: typeof value.name === 'string' ? value.name : 'Error',
        message:
          typeof value.message === 'string' ? value.message.slice(0, 2000) : String(cause).slice(0, 2000),
        ...(code ? { code } : {}),
      });
      cause = value.cause;
    } else {
      chain.push({ name: typeof cause, message: String(cause).slice(0, 2000) });
      break;
    }
  }
  return chain;
}

/**
 * The base of every error Berth throws. Check with `BerthError.isInstance(error)`, which works across
 * duplicate installs of `@berth/core`, and branch on `code`.
 */
export class BerthError extends Error {
  readonly [brand] = true;
  readonly code: ErrorCode;
  readonly hint: string;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BerthError';
    this.code = code;
    this.hint = options.hint ?? errorCodes[code];
    this.retryable = options.retryable ?? false;
    if (options.details) this.details = options.details;
  }

  /** True for any `BerthError`, including one from another copy of this package. */
  static isInstance(value: unknown): value is BerthError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  toJSON(): BerthErrorJson {
    const causes = causeChainOf(this);
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      retryable: this.retryable,
      ...(this.details ? { details: this.details } : {}),
      ...(causes.length > 0 ? { cause: causes } : {}),
    };
  }
}

/** One rejected field of a service spec. */
export interface ValidationIssue {
  /** Dotted path of the field, e.g. `secrets.API_KEY.fromEnv`. */
  path: string;
  message: string;
  /** How to fix it. */
  hint: string;
}

/** The spec (or a provider's rules for it) rejected the input. Raised before any I/O. */
export class ValidationError extends BerthError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], options: BerthErrorOptions = {}) {
    const summary = issues.map((issue) => `${issue.path || '(spec)'}: ${issue.message}`).join('; ');
    super('SPEC_INVALID', `Invalid service spec: ${summary}`, {
      ...options,
      hint: options.hint ?? issues.map((issue) => `${issue.path || '(spec)'}: ${issue.hint}`).join('; '),
      details: { issues },
    });
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

/** The state store's lock is held by another run (`LOCK_HELD`), or this run lost it (`LOCK_LOST`). */
export class LockError extends BerthError {
  constructor(code: 'LOCK_HELD' | 'LOCK_LOST', message: string, options: BerthErrorOptions = {}) {
    super(code, message, { retryable: code === 'LOCK_HELD', ...options });
    this.name = 'LockError';
  }
}

/** A cloud or host API failed; providers map their SDK errors to this in one place. */
export class ProviderError extends BerthError {
  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ProviderError';
  }
}

/** Building, pushing or resolving an image failed. */
export class ImageError extends BerthError {
  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
    this.name = 'ImageError';
  }
}

/** Reading or writing deploy state failed. */
export class StateError extends BerthError {
  constructor(code: ErrorCode, message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
    this.name = 'StateError';
  }
}

/** The run was stopped by its signal or its timeout. */
export class AbortError extends BerthError {
  constructor(code: 'DEPLOY_ABORTED' | 'DEPLOY_TIMEOUT', message: string, options: BerthErrorOptions = {}) {
    super(code, message, options);
    this.name = 'AbortError';
  }
}

/** Turn anything thrown into a `BerthError`, keeping the original as `cause`. */
export function toBerthError(error: unknown, fallbackCode: ErrorCode = 'DEPLOY_FAILED'): BerthError {
  if (BerthError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new BerthError(fallbackCode, message, { cause: error });
}
