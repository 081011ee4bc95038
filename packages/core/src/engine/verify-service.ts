import type { HealthReport, ResolvedHealthCheck } from '../health/health-report.js';
import { verifyHealth } from '../health/verify-health.js';
import type { ServiceSpec } from '../spec/service-spec.js';
import type { EngineDeps } from './engine-deps.js';
import { providerContextFor, type RunContext } from './run-context.js';

/** Verify a revision's URL with the spec's health settings, emitting `health-check` events. */
export function verifyService(
  run: RunContext,
  deps: EngineDeps,
  input: { url: string; spec: ServiceSpec; checks: ResolvedHealthCheck[]; revision: string },
): Promise<HealthReport> {
  const { provider } = deps;
  const health = input.spec.health;
  const context = providerContextFor(run, 'verify');
  return verifyHealth({
    url: input.url,
    checks: input.checks,
    timeoutMs: health.timeoutMs,
    intervalMs: health.intervalMs,
    maxIntervalMs: health.maxIntervalMs,
    successThreshold: health.successThreshold,
    attemptTimeoutMs: health.attemptTimeoutMs,
    signal: run.signal,
    clock: run.clock,
    fetch: deps.fetch,
    onAttempt: (attempt) => run.emit({ type: 'health-check', url: input.url, ...attempt }),
    ...(provider.probeRevision
      ? { probe: () => provider.probeRevision!(context, run.target, input.revision) }
      : {}),
  });
}
