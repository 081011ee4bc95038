import type { BerthErrorJson } from '../errors/index.js';
import type { ServiceTarget } from '../provider/provider.js';
import { newFingerprintKey } from '../secrets/fingerprint.js';
import type { Redactor } from '../secrets/redactor.js';
import {
  type CurrentState,
  type HistoryEntry,
  type ServiceState,
  STATE_SCHEMA_VERSION,
  type StateStore,
} from '../state/state-store.js';
import type { RunContext } from './run-context.js';
import { currentStateLock } from './service-lock.js';

/** A fresh state for a service never deployed before. */
export function emptyState(target: ServiceTarget, provider: string): ServiceState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    service: target.service,
    name: target.name,
    environment: target.environment,
    provider,
    fingerprintKey: newFingerprintKey(),
    revisionCounter: 0,
    history: [],
  };
}

/** A history entry for this run. */
export function historyEntry(
  run: RunContext,
  startedAt: number,
  fields: Omit<HistoryEntry, 'id' | 'startedAt' | 'endedAt' | 'actor' | 'phases'> & {
    error?: BerthErrorJson;
  },
): HistoryEntry {
  return {
    id: run.runId,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: new Date(run.clock.now()).toISOString(),
    actor: run.actor,
    phases: [...run.phases],
    ...fields,
  };
}

/**
 * Append the entry, set the current state, and write — all redacted, so no secret value can reach
 * the store even if one slipped into an error message. Inside `withServiceLock` the write carries the
 * lock's fence (a run that lost its lock cannot write) and the entry records a lock takeover.
 */
export async function recordRun(
  store: StateStore,
  redactor: Redactor,
  state: ServiceState,
  entry: HistoryEntry,
  current: CurrentState | undefined | 'keep',
): Promise<ServiceState> {
  const held = currentStateLock();
  const recorded: HistoryEntry = held?.takeover ? { ...entry, lockTakeover: held.takeover } : entry;
  const next: ServiceState = {
    ...state,
    history: [...state.history, recorded],
    ...(current === 'keep' ? {} : { current }),
  };
  if (current === undefined) delete next.current;
  const clean = redactor.value(next);
  await store.write(state.service, clean, held ? { fence: held.fence } : {});
  return clean;
}
