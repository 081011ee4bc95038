import { toBerthError } from '../errors/index.js';
import { serviceNameOf } from '../spec/service-spec.js';
import type { EngineDeps } from './engine-deps.js';
import { historyEntry, recordRun } from './record-run.js';
import type { DownResult } from './result.js';
import { providerContextFor, type RunContext, runPhase } from './run-context.js';
import { validateForProvider } from './run-up.js';
import { withServiceLock } from './service-lock.js';

/** Options of `down`. */
export interface DownOptions {
  /** Also delete images the provider stored. Default false: images are kept. */
  deleteImages?: boolean;
  /** Keep the secrets Berth created. Default false: owned secrets are deleted. */
  keepSecrets?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  takeoverStaleLock?: boolean;
  /** Also delete the service's state and history (the audit trail). Default false: kept. */
  forgetState?: boolean;
}

/** `down`: destroy the service and the secrets Berth owns; record it in history. */
export async function runDown(
  deps: EngineDeps,
  run: RunContext,
  input: unknown,
  options: DownOptions,
): Promise<DownResult> {
  const startedAt = run.clock.now();
  let service = run.target.service;
  const removed: string[] = [];
  const deletedSecrets: string[] = [];
  try {
    const spec = await runPhase(run, 'validate', async () => validateForProvider(deps, input));
    service = serviceNameOf(spec);
    run.target = { service, name: spec.name, environment: spec.environment };
    return await withServiceLock(run, deps, { ...options, operation: 'down' }, async (state) => {
      const { provider } = deps;
      const status = await runPhase(run, 'destroy', async () => {
        const context = providerContextFor(run, 'destroy');
        const observed = await provider.observe(context, run.target);
        if (observed)
          removed.push(
            ...(await provider.destroy(context, run.target, { deleteImages: options.deleteImages ?? false }))
              .removed,
          );
        if (provider.secrets && !options.keepSecrets) {
          const owned = await provider.secrets.list(context, run.target);
          if (owned.length > 0) {
            await provider.secrets.delete(
              context,
              run.target,
              owned.map((secret) => secret.key),
            );
            deletedSecrets.push(...owned.map((secret) => secret.key));
          }
          // The ledger goes with the secrets: its key fingerprinted them.
          await provider.ledger?.clear?.(context, run.target);
        }
        return observed || deletedSecrets.length > 0 ? 'destroyed' : 'noop';
      });
      if (state && status === 'destroyed') {
        const entry = historyEntry(run, startedAt, {
          kind: 'destroy',
          status: 'destroyed',
          ...(state.current ? { previousRevision: state.current.revision } : {}),
          verified: false,
        });
        await runPhase(run, 'record', () => recordRun(deps.state, run.redactor, state, entry, undefined));
      }
      if (options.forgetState && deps.state.remove) await deps.state.remove(run.target.service);
      return run.redactor.value({ status, service, removed, deletedSecrets, phases: run.phases });
    });
  } catch (error) {
    return run.redactor.value({
      status: 'failed',
      service,
      removed,
      deletedSecrets,
      phases: run.phases,
      error: toBerthError(error).toJSON(),
    });
  }
}
