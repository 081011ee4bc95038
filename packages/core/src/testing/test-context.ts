import { type Clock, systemClock } from '../ports/clock.js';
import type { ProgressUpdate, ProviderContext } from '../provider/provider.js';

/**
 * A `ProviderContext` for calling a provider directly in tests: real clock by default, and the
 * progress updates and log lines it received, for assertions.
 */
export function createTestContext(options: { clock?: Clock; signal?: AbortSignal } = {}): ProviderContext & {
  logs: string[];
  updates: ProgressUpdate[];
} {
  const logs: string[] = [];
  const updates: ProgressUpdate[] = [];
  return {
    signal: options.signal ?? new AbortController().signal,
    clock: options.clock ?? systemClock,
    progress: (update) => updates.push(update),
    log: (level, message) => logs.push(`${level}: ${message}`),
    logs,
    updates,
  };
}
