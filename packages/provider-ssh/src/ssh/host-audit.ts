/**
 * Every change a provider makes on an SSH host runs audited: under the host lock, and recorded in
 * the host history with its outcome, duration and phases, so a second operator sees it.
 */
import { BerthError, type Provider, type ProviderContext, type ServiceTarget } from '@berth/core';
import { appendHostHistory, type HistoryPhase, type HostHistoryEntry } from './host-history.js';
import { type HostLayout, hostLayout } from './host-layout.js';
import { acquireHostLock } from './host-lock.js';
import type { SshConnection } from './ssh-connection.js';

/** Who audits, and where. */
export interface AuditSettings {
  connection: SshConnection;
  operator: string;
  lockTtlSeconds: number;
}

/** What the history entry says besides its outcome. */
export type AuditEntry = Pick<HostHistoryEntry, 'operation' | 'service' | 'revision' | 'releaseId'>;

/** Lock, run `body` (which may add phases), record the outcome in the host history, unlock. */
export async function runAudited<T>(
  settings: AuditSettings,
  context: ProviderContext,
  layout: HostLayout,
  entry: AuditEntry,
  body: (phases: HistoryPhase[]) => Promise<T>,
): Promise<T> {
  const { connection, operator } = settings;
  const started = context.clock.now();
  const lock = await acquireHostLock(connection, layout, {
    owner: operator,
    operation: entry.operation,
    ttlSeconds: settings.lockTtlSeconds,
    warn: (message) => context.log('warn', message),
  });
  const phases: HistoryPhase[] = [];
  const record = (status: HostHistoryEntry['status'], error?: unknown) =>
    appendHostHistory(connection, layout, {
      ...entry,
      at: new Date(context.clock.now()).toISOString(),
      status,
      operator,
      durationMs: context.clock.now() - started,
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
    const value = await body(phases);
    await record('succeeded');
    return value;
  } catch (error) {
    await record('failed', error);
    throw error;
  } finally {
    await lock.release().catch(() => undefined);
  }
}

/**
 * Wrap a provider's changing methods (`apply`, `restoreRevision`, `destroy`) with `runAudited`;
 * the docker method uses it around the shared host provider.
 */
export function withHostAudit(provider: Provider, settings: AuditSettings & { baseDir: string }): Provider {
  const layoutOf = (target: ServiceTarget) => hostLayout(settings.baseDir, target.service);
  const timed = async <T>(
    context: ProviderContext,
    phases: HistoryPhase[],
    name: string,
    run: () => Promise<T>,
  ) => {
    const started = context.clock.now();
    const value = await run();
    const durationMs = context.clock.now() - started;
    phases.push({ name, status: 'succeeded', durationMs });
    context.log('info', `${name}: done`, { phase: name, durationMs });
    return value;
  };
  const { apply, restoreRevision, destroy } = provider;
  return {
    ...provider,
    apply: (context, desired, options) =>
      runAudited(
        settings,
        context,
        layoutOf(desired),
        { operation: 'deploy', service: desired.service, revision: desired.revision },
        (phases) => timed(context, phases, 'start', () => apply.call(provider, context, desired, options)),
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
                timed(context, phases, 'start', () =>
                  restoreRevision.call(provider, context, target, record),
                ),
            ),
        }
      : {}),
    destroy: (context, target, options) =>
      runAudited(settings, context, layoutOf(target), { operation: 'down', service: target.service }, () =>
        destroy.call(provider, context, target, options),
      ),
  };
}
