/** Run an operation on every selected service in dependency order, then report and pick the exit code. */
import { BerthError, type DeployResult, type DownResult } from '@berth/core';
import type { ResolvedService } from '../config/resolve-service.js';
import type { ServiceLine } from '../output/format-result.js';
import { type ExitCode, exitCodeOfRun } from '../run/exit-codes.js';
import { runServices } from '../run/run-services.js';
import { dependenciesAmong } from '../run/service-graph.js';
import type { CommandEnvironment, Session } from '../session.js';

type Outcome = DeployResult | DownResult;

/** The summary line of a deploy or down result. */
export function lineOf(result: Outcome): ServiceLine {
  if ('removed' in result)
    return {
      service: result.service,
      status: result.status,
      phases: result.phases,
      ...(result.removed.length > 0 ? { note: `removed ${result.removed.join(', ')}` } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
  return {
    service: result.service,
    status: result.status,
    ...(result.url ? { url: result.url } : {}),
    ...(result.revision ? { revision: result.revision } : {}),
    ...(result.image?.digest ? { digest: result.image.digest } : {}),
    phases: result.phases,
    ...(result.secrets ? { secrets: result.secrets } : {}),
    ...(result.rollback?.attempted
      ? { note: `rollback to ${result.rollback.to}: ${result.rollback.status} (${result.rollback.reason})` }
      : {}),
    ...(result.error ? { error: result.error } : {}),
  };
}

/** A thrown error as a result-like object (a run that could not even start). */
function thrownResult(service: ResolvedService, error: unknown) {
  const json = BerthError.isInstance(error)
    ? error.toJSON()
    : {
        code: 'DEPLOY_FAILED' as const,
        message: (error as Error)?.message ?? String(error),
        hint: 'See the log file.',
        retryable: false,
      };
  return { service: service.service, status: 'failed' as const, error: json };
}

/**
 * Run `operation` per service (in `order`), independent ones at once up to the session's
 * concurrency; dependents of a failed service are skipped. Returns the exit code.
 */
export async function runEach(
  session: Session,
  environment: CommandEnvironment,
  operation: (service: ResolvedService) => Promise<Outcome>,
  options: { reverse?: boolean; onDone?: (results: Outcome[]) => void } = {},
): Promise<ExitCode> {
  const byKey = new Map(session.services.map((service) => [service.key, service]));
  const order = session.services.map((service) => service.key);
  const graph = session.loaded.config;
  const outcomes = await runServices<Outcome | ReturnType<typeof thrownResult>>({
    order,
    // `down` goes the other way: a service goes after the ones that depend on it.
    dependencies: options.reverse
      ? (key) => order.filter((other) => byKey.get(other)?.dependsOn.includes(key))
      : (key) => dependenciesAmong(graph, key, order),
    concurrency: session.concurrency,
    signal: environment.signal,
    run: async (key) => {
      const service = byKey.get(key) as ResolvedService;
      let result: Outcome | ReturnType<typeof thrownResult>;
      try {
        result = await operation(service);
      } catch (error) {
        result = thrownResult(service, error);
      }
      session.reporter.serviceDone(result.service, result.status);
      return { ok: ['succeeded', 'noop', 'destroyed'].includes(result.status), result };
    },
  });
  const lines: ServiceLine[] = [];
  const json: unknown[] = [];
  for (const outcome of outcomes) {
    const service = byKey.get(outcome.service) as ResolvedService;
    if (outcome.kind === 'skipped') {
      lines.push({ service: service.service, status: 'skipped', note: outcome.reason });
      json.push({ type: 'result', service: service.service, status: 'skipped', reason: outcome.reason });
      continue;
    }
    const result = outcome.result;
    lines.push(
      'phases' in result
        ? lineOf(result)
        : { service: result.service, status: result.status, error: result.error },
    );
    json.push({ type: 'result', ...result });
  }
  session.reporter.finish(lines, json);
  options.onDone?.(
    outcomes.flatMap((outcome) =>
      outcome.kind === 'done' && 'phases' in outcome.result ? [outcome.result] : [],
    ),
  );
  return exitCodeOfRun(
    outcomes.map((outcome) => (outcome.kind === 'skipped' ? { status: 'skipped' } : outcome.result)),
    environment.signal.aborted,
  );
}
