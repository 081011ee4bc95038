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
