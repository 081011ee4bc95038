/**
 * Every change a provider makes on an SSH host runs audited: under the host lock, and recorded in
 * the host history with its outcome, duration and phases, so a second operator sees it. Inside an
 * engine run the lock is the run lock the provider's `lock` took (host-run-lock.ts); a method called
 * directly takes the lock for its own step.
 *
 * A deploy's phases happen in several engine calls (validation in `preflight`, transfer and build
 * in the image phase, start in `apply`), so the phases measured before the change wait in
 * `PendingPhases` and join the history entry of the change that follows. Verify and register run
 * in the engine after `apply`; `sshHostHooks()` records them (ssh-host-hooks.ts).
 */
import {
  BerthError,
  type ImageBuilder,
  type Provider,
  type ProviderContext,
  type ServiceTarget,
} from '@berth/core';
import { appendHostHistory, type HistoryPhase, type HostHistoryEntry } from './host-history.js';
import { type HostLayout, hostLayout } from './host-layout.js';
import { acquireHostLock, type HostLock } from './host-lock.js';
import { hostRunLock, type RunLocks } from './host-run-lock.js';
import type { SshConnection } from './ssh-connection.js';

/** The phases of a deploy in the host history, in their order. */
export const deployPhases = ['validation', 'transfer', 'build', 'start'] as const;

/** Phases measured before the change they belong to, by service. */
export interface PendingPhases {
  /** Remember `phase` (replacing an earlier one of the same name). */
  set(service: string, phase: HistoryPhase): void;
  /** The remembered phases named in `names`, in that order; forgets every phase of the service. */
  take(service: string, names: readonly string[]): HistoryPhase[];
}

/** An empty set of pending phases. */
export function pendingPhases(): PendingPhases {
  const byService = new Map<string, Map<string, HistoryPhase>>();
  return {
    set(service, phase) {
      const phases = byService.get(service) ?? new Map<string, HistoryPhase>();
      phases.set(phase.name, phase);
      byService.set(service, phases);
    },
    take(service, names) {
      const phases = byService.get(service);
      byService.delete(service);
      return names.flatMap((name) => phases?.get(name) ?? []);
    },
  };
}

/** Who audits, and where. */
export interface AuditSettings {
  connection: SshConnection;
  operator: string;
  lockTtlSeconds: number;
  /** The provider's phases measured before its changes. */
  pending: PendingPhases;
  /** The run locks the provider holds: a step under one does not lock again. */
  runLocks: RunLocks;
}

/** What the history entry says besides its outcome. */
export type AuditEntry = Pick<HostHistoryEntry, 'operation' | 'service' | 'revision' | 'releaseId'>;

/** How `runAudited` treats the run. */
export interface AuditOptions {
  /** Pending phases that belong to this entry (the others of the service are dropped). Default none. */
  pendingPhases?: readonly string[];
  /**
   * The run is the first part of a change (the image phase of a deploy): on success its phases
   * wait for the change's entry instead of being recorded now. A failure is recorded at once.
   */
  defer?: boolean;
  /** The operation named in the lock. Default `entry.operation`. */
  lockOperation?: string;
}

/** Run `run` as the phase `name`, appending it (succeeded or failed, with its duration) to `phases`. */
export async function timedPhase<T>(
  context: ProviderContext,
  phases: HistoryPhase[],
  name: string,
  run: () => Promise<T>,
): Promise<T> {
  const started = context.clock.now();
  try {
    const value = await run();
    const durationMs = context.clock.now() - started;
    phases.push({ name, status: 'succeeded', durationMs });
    context.log('info', `${name}: done in ${durationMs} ms`, { phase: name, durationMs });
    return value;
  } catch (error) {
    phases.push({ name, status: 'failed', durationMs: context.clock.now() - started });
    throw error;
  }
}

/**
 * Lock, run `body` (which adds its phases), record the outcome in the host history, unlock. Under
 * a run lock of the provider, the step checks that lock is still its own (renewing it) instead.
 */
export async function runAudited<T>(
  settings: AuditSettings,
  context: ProviderContext,
  layout: HostLayout,
  entry: AuditEntry,
  body: (phases: HistoryPhase[], lock: HostLock) => Promise<T>,
  options: AuditOptions = {},
): Promise<T> {
  const { connection, operator } = settings;
  const started = context.clock.now();
  const runLock = settings.runLocks.held(layout);
  if (runLock) await runLock.renew();
  const lock =
    runLock ??
    (await acquireHostLock(connection, layout, {
      owner: operator,
      operation: options.lockOperation ?? entry.operation,
      ttlSeconds: settings.lockTtlSeconds,
      warn: (message) => context.log('warn', message),
    }));
  const phases = settings.pending.take(entry.service, options.pendingPhases ?? []);
  const earlierMs = phases.reduce((total, phase) => total + phase.durationMs, 0);
  const record = (status: HostHistoryEntry['status'], error?: unknown) =>
    appendHostHistory(connection, layout, {
      ...entry,
      at: new Date(context.clock.now()).toISOString(),
      status,
      operator,
      durationMs: earlierMs + context.clock.now() - started,
      phases,
      ...(error
        ? {
            error: {
              code: BerthError.isInstance(error) ? error.code : 'DEPLOY_FAILED',
              message: error instanceof Error ? error.message : String(error),
            },
          }
        : {}),
    }).catch((historyError: unknown) =>
      context.log('warn', `Could not append to ${layout.historyFile}: ${(historyError as Error).message}`),
    );
  try {
    const value = await body(phases, lock);
    if (options.defer) for (const phase of phases) settings.pending.set(entry.service, phase);
    else await record('succeeded');
    return value;
  } catch (error) {
    await record('failed', error);
    throw error;
  } finally {
    if (!runLock) await lock.release().catch(() => undefined);
  }
}

/** Time a provider's `preflight` as the `validation` phase of the deploy that follows. */
export function timedPreflight(
  pending: PendingPhases,
  preflight: NonNullable<Provider['preflight']>,
): NonNullable<Provider['preflight']> {
  return async (context, target, spec) => {
    pending.take(target.service, []); // a new run: phases of an earlier one that changed nothing go
    const started = context.clock.now();
    const checks = await preflight(context, target, spec);
    pending.set(target.service, {
      name: 'validation',
      status: checks.every((check) => check.ok) ? 'succeeded' : 'failed',
      durationMs: context.clock.now() - started,
    });
    return checks;
  };
}

/** The settings of an audited provider, for the hooks that add to its history (ssh-host-hooks.ts). */
export interface ProviderAudit extends AuditSettings {
  baseDir: string;
}

const audits = new WeakMap<Provider, ProviderAudit>();

/** Remember how `provider` audits, and return it. */
export function withAuditSettings<P extends Provider>(provider: P, audit: ProviderAudit): P {
  audits.set(provider, audit);
  return provider;
}

/** How `provider` audits; `undefined` for a provider not made by `sshHost()`. */
export function auditOf(provider: Provider): ProviderAudit | undefined {
  return audits.get(provider);
}

/**
 * Wrap a provider's changing methods (`apply`, `restoreRevision`, `shiftTraffic`, `destroy`) with `runAudited`, its
 * preflight with `timedPreflight` and its image builder's `build` with the lock and the `build`
 * phase, and give it `lock` (the run lock, host-run-lock.ts); the docker method uses it around the
 * shared host provider. `checkBuild` runs before the build step, so a build that cannot start
 * changes nothing on the host (a run lock's folder goes with the run, see `HostLock.release`).
 */
export function withHostAudit(
  provider: Provider,
  settings: ProviderAudit & { checkBuild?: (request: Parameters<ImageBuilder['build']>[0]) => Promise<void> },
): Provider {
  const layoutOf = (target: ServiceTarget) => hostLayout(settings.baseDir, target.service);
  const { apply, restoreRevision, destroy, preflight, imageBuilder, shiftTraffic } = provider;
  const audited: Provider = {
    ...provider,
    lock: hostRunLock(settings),
    ...(preflight ? { preflight: timedPreflight(settings.pending, preflight.bind(provider)) } : {}),
    ...(imageBuilder ? { imageBuilder: auditedBuilder(imageBuilder, settings) } : {}),
    apply: (context, desired, options) =>
      runAudited(
        settings,
        context,
        layoutOf(desired),
        { operation: 'deploy', service: desired.service, revision: desired.revision },
        (phases) =>
          timedPhase(context, phases, 'start', () => apply.call(provider, context, desired, options)),
        { pendingPhases: deployPhases },
      ),
    ...(restoreRevision
      ? {
          restoreRevision: (context, target, record) =>
            runAudited(
              settings,
              context,
              layoutOf(target),
              { operation: 'restore', service: target.service, revision: record.revision },
              (phases) =>
                timedPhase(context, phases, 'start', () =>
                  restoreRevision.call(provider, context, target, record),
                ),
            ),
        }
      : {}),
    ...(shiftTraffic
      ? {
          // Proxy mode: the switch of the stable address to a verified revision, timed.
          shiftTraffic: (context: ProviderContext, target: ServiceTarget, revision: string) =>
            runAudited(
              settings,
              context,
              layoutOf(target),
              { operation: 'switch', service: target.service, revision },
              (phases) =>
                timedPhase(context, phases, 'switch', () =>
                  shiftTraffic.call(provider, context, target, revision),
                ),
            ),
        }
      : {}),
    destroy: (context, target, options) =>
      runAudited(
        settings,
        context,
        layoutOf(target),
        { operation: 'down', service: target.service },
        () => destroy.call(provider, context, target, options),
        { pendingPhases: ['deregister'] },
      ),
  };
  return withAuditSettings(audited, settings);
}

/**
 * The docker method's builder under the host lock, timed as the `build` phase (`skipped` when the
 * image was already on the host). The build context travels inside the Engine API's build request
 * while the engine reads it, so its upload is part of `build`: there is no separate `transfer`.
 */
function auditedBuilder(
  builder: ImageBuilder,
  settings: ProviderAudit & { checkBuild?: (request: Parameters<ImageBuilder['build']>[0]) => Promise<void> },
): ImageBuilder {
  return {
    ...builder,
    async build(request, context) {
      await settings.checkBuild?.(request);
      const service = request.service.service;
      return runAudited(
        settings,
        context,
        hostLayout(settings.baseDir, service),
        { operation: 'deploy', service },
        async (phases) => {
          const started = context.clock.now();
          try {
            const built = await builder.build(request, context);
            const durationMs = context.clock.now() - started;
            phases.push({ name: 'build', status: built.skipped ? 'skipped' : 'succeeded', durationMs });
            return built;
          } catch (error) {
            phases.push({ name: 'build', status: 'failed', durationMs: context.clock.now() - started });
            throw error;
          }
        },
        { pendingPhases: ['validation'], defer: true, lockOperation: 'build' },
      );
    },
  };
}
