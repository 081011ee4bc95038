/**
 * Run one task per service: a service starts when its dependencies among the run succeeded, at most
 * `concurrency` at once; a service whose dependency did not succeed is skipped, never started.
 */

/** How a service's task ended, as the scheduler sees it. */
export type TaskOutcome<Result> =
  | { service: string; kind: 'done'; ok: boolean; result: Result }
  | { service: string; kind: 'skipped'; reason: string };

export interface RunServicesOptions<Result> {
  /** Services in dependency order. */
  order: string[];
  /** Direct dependencies of a service, within `order`. */
  dependencies: (service: string) => string[];
  concurrency: number;
  /** Deploy one service; `ok` says whether dependents may go on. */
  run: (service: string) => Promise<{ ok: boolean; result: Result }>;
  /** Once aborted, no further service starts (the running ones stop at their safe points). */
  signal?: AbortSignal;
}

/** Run the tasks; outcomes come back in `order`. */
export async function runServices<Result>(
  options: RunServicesOptions<Result>,
): Promise<TaskOutcome<Result>[]> {
  const outcomes = new Map<string, TaskOutcome<Result>>();
  const running = new Map<string, Promise<void>>();
  const pending = [...options.order];
  while (pending.length > 0 || running.size > 0) {
    let progressed = false;
    for (const service of [...pending]) {
      const dependencies = options.dependencies(service);
      const blocked = dependencies.find((dependency) => {
        const outcome = outcomes.get(dependency);
        return outcome && !(outcome.kind === 'done' && outcome.ok);
      });
      if (blocked || options.signal?.aborted) {
        pending.splice(pending.indexOf(service), 1);
        outcomes.set(service, {
          service,
          kind: 'skipped',
          reason: blocked ? `dependency ${blocked} did not succeed` : 'interrupted before it started',
        });
        progressed = true;
        continue;
      }
      if (!dependencies.every((dependency) => outcomes.has(dependency))) continue;
      if (running.size >= options.concurrency) break;
      pending.splice(pending.indexOf(service), 1);
      progressed = true;
      running.set(
        service,
        options
          .run(service)
          .then(
            ({ ok, result }) => {
              outcomes.set(service, { service, kind: 'done', ok, result });
            },
            (error: unknown) => {
              outcomes.set(service, { service, kind: 'done', ok: false, result: error as Result });
            },
          )
          .finally(() => running.delete(service)),
      );
    }
    if (!progressed && running.size > 0) await Promise.race(running.values());
    else if (!progressed && running.size === 0 && pending.length > 0) {
      // Cannot happen with a validated (acyclic) graph; refuse to spin.
      for (const service of pending.splice(0))
        outcomes.set(service, { service, kind: 'skipped', reason: 'unresolvable dependencies' });
    }
  }
  return options.order.map((service) => outcomes.get(service) as TaskOutcome<Result>);
}
