import { errorInfo, RpcError } from './rpc/rpc-error.js';
import type { StatusName } from './rpc/status-codes.js';

/** Fail the next matching API calls with an error, before the emulator does anything. */
export interface CallFault {
  /** `UpdateService`, `google.cloud.run.v2.Services.UpdateService`, or a pattern over the full name. */
  method: string | RegExp;
  code: StatusName;
  /** How many calls fail. Default 1. */
  times?: number;
  message?: string;
}

/** Make matching revisions fail to start: `crash` kills the container, `startup-probe` fails its probe. */
export interface RevisionFault {
  service?: string;
  /** Short revision name or pattern. */
  revision?: string | RegExp;
  mode: RevisionFaultMode;
  /** How many revision starts are affected. Default: every one. */
  times?: number;
}

export type RevisionFaultMode = 'crash' | 'startup-probe';

const defaultMessages: Partial<Record<StatusName, string>> = {
  UNAVAILABLE: 'The service is currently unavailable.',
  RESOURCE_EXHAUSTED: "Quota exceeded for quota metric 'Requests' and limit 'Requests per minute'.",
  INTERNAL: 'Internal error encountered.',
  DEADLINE_EXCEEDED: 'Deadline expired before operation could complete.',
  ABORTED: 'The operation was aborted.',
};

function matches(pattern: string | RegExp | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

/** Fault injection: call failures and revision failures. */
export class FaultController {
  private calls: (CallFault & { remaining: number })[] = [];
  private revisions: (RevisionFault & { remaining: number })[] = [];

  /** Fail the next `times` calls of a method with `code`. */
  failNext(fault: CallFault): void {
    this.calls.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Make revisions fail to start. */
  failRevisions(fault: RevisionFault): void {
    this.revisions.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Forget every pending fault. */
  clear(): void {
    this.calls = [];
    this.revisions = [];
  }

  /** Call faults not used up yet. */
  get pendingCalls(): number {
    return this.calls.reduce((sum, fault) => sum + fault.remaining, 0);
  }

  /** @internal The error to answer for this call, if a fault matches. */
  takeCallFault(fullName: string, shortName: string): RpcError | undefined {
    const fault = this.calls.find(
      (candidate) =>
        candidate.remaining > 0 &&
        (typeof candidate.method === 'string'
          ? candidate.method === shortName || candidate.method === fullName.replace(/@.*$/, '')
          : candidate.method.test(fullName)),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.calls = this.calls.filter((candidate) => candidate.remaining > 0);
    const message = fault.message ?? defaultMessages[fault.code] ?? `Injected ${fault.code}.`;
    const details =
      fault.code === 'RESOURCE_EXHAUSTED'
        ? [errorInfo('RATE_LIMIT_EXCEEDED', 'googleapis.com', { quota_metric: 'requests' })]
        : [];
    return new RpcError(fault.code, message, details);
  }

  /** @internal The failure mode for a starting revision, if any. */
  takeRevisionFault(service: string, revision: string): RevisionFaultMode | undefined {
    const fault = this.revisions.find(
      (candidate) =>
        candidate.remaining > 0 &&
        matches(candidate.service, service) &&
        matches(candidate.revision, revision),
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    return fault.mode;
  }
}
