/**
 * Engine hooks that complete the host history of an `sshHost()` provider with the phases the
 * engine runs after `apply`: `verify` (how long the health checks took) and, when a registry is
 * configured, `register` after a verified deploy and `deregister` before `down`. The provider
 * records validation, transfer, build and start itself; verification and registration happen in
 * the engine, which tells providers nothing after `apply`, so these hooks carry them to the host.
 *
 * ```ts
 * const provider = sshHost({ … });
 * const deployer = createDeployer({
 *   provider,
 *   hooks: sshHostHooks(provider, { register: { url: 'https://registry.internal/services' } }),
 * });
 * ```
 */
import { BerthError, type Hook, type HookContext, type Provider } from '@berth/core';
import { auditOf, type ProviderAudit } from './host-audit.js';
import { appendHostHistory, type HistoryPhase, type HostHistoryEntry } from './host-history.js';
import { hostLayout } from './host-layout.js';
import { type ServiceRegistryHookOptions, serviceRegistryHooks } from './service-registry-hooks.js';

/** Options of `sshHostHooks`. */
export interface SshHostHookOptions {
  /** Register the service (name, URL, revision) after it passed verification; deregister before `down`. */
  register?: ServiceRegistryHookOptions;
  /** Clock of the phase timings. Default `Date.now`. */
  now?: () => number;
}

function errorOf(error: unknown): { code: string; message: string } {
  return {
    code: BerthError.isInstance(error) ? error.code : 'HOOK_FAILED',
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Time `run` as the phase `name`; the phase is returned even when `run` throws (then with the error). */
async function timed(
  now: () => number,
  name: string,
  run: () => Promise<void> | void,
): Promise<{ phase: HistoryPhase; error?: unknown }> {
  const started = now();
  try {
    await run();
    return { phase: { name, status: 'succeeded', durationMs: now() - started } };
  } catch (error) {
    return { phase: { name, status: 'failed', durationMs: now() - started }, error };
  }
}

function recorder(audit: ProviderAudit, now: () => number) {
  return async (
    context: HookContext,
    fields: Pick<HostHistoryEntry, 'status' | 'phases'> & { error?: unknown },
  ): Promise<void> => {
    const layout = hostLayout(audit.baseDir, context.service);
    const phases = fields.phases ?? [];
    await appendHostHistory(audit.connection, layout, {
      at: new Date(now()).toISOString(),
      operation: 'verify',
      status: fields.status,
      service: context.service,
      ...(context.facts.revision ? { revision: context.facts.revision } : {}),
      operator: audit.operator,
      durationMs: phases.reduce((total, phase) => total + phase.durationMs, 0),
      phases,
      ...(fields.error === undefined ? {} : { error: errorOf(fields.error) }),
    }).catch((error: unknown) =>
      context.log(`Could not append to ${layout.historyFile}: ${(error as Error).message}`),
    );
  };
}

/**
 * Hooks for `createDeployer({ hooks })` that record `verify` (and `register`) in the host history
 * of `provider`, as one `operation: 'verify'` line after the deploy's line, and register the
 * service when `register` is given (see `serviceRegistryHooks`, whose hooks these wrap). A deploy
 * whose verification fails is recorded when the engine starts the rollback.
 */
export function sshHostHooks(provider: Provider, options: SshHostHookOptions = {}): Hook[] {
  const audit = auditOf(provider);
  if (!audit)
    throw new BerthError('PROVIDER_OPTIONS_INVALID', 'sshHostHooks() needs a provider made by sshHost().', {
      hint: 'Pass the provider sshHost() returned; for other providers use serviceRegistryHooks().',
    });
  const now = options.now ?? Date.now;
  const record = recorder(audit, now);
  const registry = options.register ? serviceRegistryHooks(options.register) : [];
  const register = registry.find((hook) => hook.after === 'verify');
  const deregister = registry.find((hook) => hook.before === 'destroy');
  const verifyStarts = new Map<string, number>();
  const registerFailure = register?.onFailure ?? 'continue';

  const hooks: Hook[] = [
    {
      name: 'ssh-host:verify-start',
      before: 'verify',
      onFailure: 'continue',
      run: (context) => {
        verifyStarts.set(context.runId, now());
      },
    },
    {
      name: 'ssh-host:verified',
      after: 'verify',
      onFailure: registerFailure,
      run: async (context) => {
        const started = verifyStarts.get(context.runId) ?? now();
        verifyStarts.delete(context.runId);
        const phases: HistoryPhase[] = [{ name: 'verify', status: 'succeeded', durationMs: now() - started }];
        const registered = register ? await timed(now, 'register', () => register.run(context)) : undefined;
        if (registered) phases.push(registered.phase);
        const failed = registered?.error !== undefined;
        await record(context, {
          status: failed && registerFailure === 'abort' ? 'failed' : 'succeeded',
          phases,
          ...(failed ? { error: registered.error } : {}),
        });
        if (failed) throw registered.error;
      },
    },
    {
      // The engine rolls back after a failed verify (or deploy): a verify begun in this run failed.
      name: 'ssh-host:verify-failed',
      before: 'rollback',
      onFailure: 'continue',
      run: async (context) => {
        const started = verifyStarts.get(context.runId);
        if (started === undefined) return;
        verifyStarts.delete(context.runId);
        await record(context, {
          status: 'failed',
          phases: [{ name: 'verify', status: 'failed', durationMs: now() - started }],
        });
      },
    },
  ];
  if (deregister)
    hooks.push({
      // Timed here, recorded in the `down` entry the provider writes right after.
      name: 'ssh-host:deregister',
      before: 'destroy',
      onFailure: 'continue',
      run: async (context) => {
        const result = await timed(now, 'deregister', () => deregister.run(context));
        audit.pending.set(context.service, result.phase);
        if (result.error !== undefined) throw result.error;
      },
    });
  return hooks;
}
