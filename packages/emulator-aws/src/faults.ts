import type { VersionFaultMode } from '@berth/emulator-runtime';
import { AwsError } from './protocol/aws-error.js';

/** Fail the next matching API calls with an error, before the emulator does anything. */
export interface CallFault {
  /** `UpdateService`, `AppRunner.UpdateService`, or a pattern over the full target. */
  operation: string | RegExp;
  /** The error code answered as `__type`, e.g. `ThrottlingException`, `InternalServiceErrorException`. */
  error: string;
  /** How many calls fail. Default 1. */
  times?: number;
  message?: string;
  /** HTTP status. Default 400, or 500 for codes that name a server fault. */
  statusCode?: number;
}

/**
 * Make matching service versions fail: `crash` kills the container before it passes its health check,
 * `health-check` makes every health check fail.
 */
export interface VersionFault {
  /** The service name (App Runner `ServiceName`, ECS `serviceName`) or a pattern. Default: every service. */
  service?: string | RegExp;
  mode: VersionFaultMode;
  /** How many version starts are affected. Default: every one. */
  times?: number;
}

export type { VersionFaultMode };

const serverCodes =
  /^(InternalServiceError|InternalFailure|ServerException|ServiceUnavailable|InternalServerError)/;

function matches(pattern: string | RegExp | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

/** Fault injection: failing calls, throttling and failing versions. */
export class FaultController {
  private calls: (CallFault & { remaining: number })[] = [];
  private versions: (VersionFault & { remaining: number })[] = [];

  /** Fail the next `times` calls of an operation with `error`. */
  failNext(fault: CallFault): void {
    this.calls.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Answer the next `times` calls (default 1) of an operation with `ThrottlingException`, as AWS does over a rate limit. */
  throttle(operation: string | RegExp, times = 1): void {
    this.failNext({ operation, error: 'ThrottlingException', message: 'Rate exceeded', times });
  }

  /** Make service versions fail to become healthy. */
  failVersions(fault: VersionFault): void {
    this.versions.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Forget every pending fault. */
  clear(): void {
    this.calls = [];
    this.versions = [];
  }

  /** Call faults not used up yet. */
  get pendingCalls(): number {
    return this.calls.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  /** @internal The error to answer for this call, if a fault matches. */
  takeCallFault(target: string, operation: string): AwsError | undefined {
    const fault = this.calls.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (typeof candidate.operation === 'string'
          ? candidate.operation === operation || candidate.operation === target
          : candidate.operation.test(target)),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.calls = this.calls.filter((candidate) => candidate.remaining > 0);
    return new AwsError(
      fault.error,
      fault.message ?? `Injected ${fault.error}.`,
      fault.statusCode ?? (serverCodes.test(fault.error) ? 500 : 400),
    );
  }

  /** @internal The failure mode for a starting version, if any. */
  takeVersionFault(service: string): VersionFaultMode | undefined {
    const fault = this.versions.find(
      (candidate) => candidate.remaining > 0 && matches(candidate.service, service),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    return fault.mode;
  }
}
