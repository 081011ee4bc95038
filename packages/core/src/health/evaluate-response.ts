import type { ResolvedHealthCheck } from './health-report.js';

/** True when `actual` contains every field of `expected` with an equal value (recursively). */
export function jsonSubsetMatches(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return Object.is(actual, expected);
  if (actual === null || typeof actual !== 'object') return false;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    return expected.every((item, index) => jsonSubsetMatches(actual[index], item));
  }
  return Object.entries(expected).every(([key, value]) =>
    jsonSubsetMatches((actual as Record<string, unknown>)[key], value),
  );
}

/** Decide whether a response passes a check; returns the reason when it does not. Pure. */
export function evaluateResponse(
  check: ResolvedHealthCheck,
  status: number,
  body: string,
): string | undefined {
  const accepted = Array.isArray(check.expectStatus) ? check.expectStatus : [check.expectStatus];
  if (!accepted.includes(status)) return `status ${status}, expected ${accepted.join(' or ')}`;
  if (check.bodyContains !== undefined && !body.includes(check.bodyContains))
    return `body does not contain ${JSON.stringify(check.bodyContains)}`;
  if (check.json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return 'body is not JSON';
    }
    if (!jsonSubsetMatches(parsed, check.json)) return `body does not match ${JSON.stringify(check.json)}`;
  }
  return undefined;
}
