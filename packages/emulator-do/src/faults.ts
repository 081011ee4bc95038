import type { VersionFaultMode } from '@berth/emulator-runtime';
import { DoError, errorIdFor } from './protocol/do-error.js';

/** Fail the next matching API calls, before the emulator does anything. */
export interface CallFault {
  /**
   * The operation: `'POST /v2/apps'`, `'PUT /v2/apps/{id}'`, `'GET /v2/registry/docker-credentials'`
   * (the route as documented, `{…}` for path parameters), or a pattern over it.
   */
  operation: string | RegExp;
  /** HTTP status, e.g. 500, 503, 429. */
  status: number;
  /** The body's `id`. Default: DigitalOcean's id for the status (`server_error`, `too_many_requests`, …). */
  id?: string;
  message?: string;
  /** How many calls fail. Default 1. */
  times?: number;
  /** Seconds sent as `retry-after` on a 429. Default 1. */
  retryAfterSeconds?: number;
}

/** Make deployments of matching apps fail: `crash` kills the container, `health-check` fails every check. */
export interface DeploymentFault {
  /** The app name (`spec.name`) or a pattern. Default: every app. */
  app?: string | RegExp;
  mode: VersionFaultMode;
  /** How many component starts are affected. Default: every one. */
  times?: number;
}

function matches(pattern: string | RegExp | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

/** Fault injection: failing calls, throttling (429 with rate-limit headers) and failing deployments. */
export class FaultController {
  private calls: (CallFault & { remaining: number })[] = [];
  private deployments: (DeploymentFault & { remaining: number })[] = [];

  /** Fail the next `times` calls of an operation. */
  failNext(fault: CallFault): void {
    this.calls.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Answer the next `times` calls (default 1) with 429 `too_many_requests` and `retry-after`. */
  throttle(operation: string | RegExp, times = 1, retryAfterSeconds = 1): void {
    this.failNext({ operation, status: 429, message: 'API rate limit exceeded.', times, retryAfterSeconds });
  }

  /** Make the deployments of an app fail to become healthy. */
  failDeployments(fault: DeploymentFault): void {
    this.deployments.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Forget every pending fault. */
  clear(): void {
    this.calls = [];
    this.deployments = [];
  }

  /** Call faults not used up yet. */
  get pendingCalls(): number {
    return this.calls.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  /** @internal The error to answer for this call, if a fault matches. */
  takeCallFault(operation: string): DoError | undefined {
    const fault = this.calls.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (typeof candidate.operation === 'string'
          ? candidate.operation === operation
          : candidate.operation.test(operation)),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.calls = this.calls.filter((candidate) => candidate.remaining > 0);
    return new DoError(
      fault.status,
      fault.message ?? `Injected ${errorIdFor(fault.status)}.`,
      fault.id ?? errorIdFor(fault.status),
      fault.status === 429 ? { 'retry-after': String(fault.retryAfterSeconds ?? 1) } : {},
    );
  }

  /** @internal The failure mode for a starting component of `app`, if any. */
  takeVersionFault(app: string): VersionFaultMode | undefined {
    const fault = this.deployments.find(
      (candidate) => candidate.remaining > 0 && matches(candidate.app, app),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    return fault.mode;
  }
}
