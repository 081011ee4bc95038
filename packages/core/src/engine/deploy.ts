import type { ImageBuilder } from '../ports/image-builder.js';
import type { Provider } from '../provider/provider.js';
import type { StateStore } from '../state/state-store.js';
import { createDeployer } from './create-deployer.js';
import type { BerthEvent } from './events.js';
import type { DeployResult } from './result.js';

/** Options of `deploy`. */
export interface DeployOptions {
  provider: Provider;
  /** Default `fileStateStore()` (`.deployment/`). */
  state?: StateStore;
  onEvent?: (event: BerthEvent) => void;
  signal?: AbortSignal;
  /** Overall time limit; the run stops at the next safe point and records a consistent state. */
  timeoutMs?: number;
  /** Needed for `{ build }` images: e.g. `dockerImageBuilder()` from `@berth/core/docker`. */
  imageBuilder?: ImageBuilder;
}

/**
 * Deploy a service in one call: plan → build → push → secrets → create/update → public URL → verify →
 * roll back on failure. Resolves with a JSON-serialisable result for every outcome; check `status`.
 *
 * @example
 * const result = await deploy({ name: 'hello', image: { ref: 'nginx@sha256:…' } }, { provider: localDocker() });
 * if (result.status !== 'succeeded' && result.status !== 'noop') console.error(result.error);
 */
export function deploy(spec: unknown, options: DeployOptions): Promise<DeployResult> {
  const deployer = createDeployer({
    provider: options.provider,
    ...(options.state ? { state: options.state } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.imageBuilder ? { imageBuilder: options.imageBuilder } : {}),
  });
  return deployer.up(spec, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
}
