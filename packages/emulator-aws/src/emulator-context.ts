import type { FaultController } from './faults.js';

/** Settings and ports every API sees. */
export interface EmulatorContext {
  accountId: string;
  /** The emulator's clock (epoch ms): recovery windows and token expiry follow it. */
  now(): number;
  /** Minimum time an App Runner operation or an ECS deployment stays in progress. */
  operationLatencyMs(): number;
  faults: FaultController;
  log(line: string): void;
}

/**
 * Wait until `latencyMs()` has passed since `startedAt`, re-reading it, so that lowering the
 * latency while an operation waits (`setLatency`) lets it finish at once.
 */
export async function holdFor(startedAt: number, latencyMs: () => number): Promise<void> {
  for (;;) {
    const remaining = startedAt + latencyMs() - Date.now();
    if (remaining <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(remaining, 25)));
  }
}
