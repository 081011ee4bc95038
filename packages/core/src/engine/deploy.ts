import type { ServiceSpecInput } from '../spec/service-spec.js';
import { createDeployer, type DeployerOptions } from './create-deployer.js';
import type { DeployResult } from './result.js';
import type { UpOptions } from './run-up.js';

/**
 * Options of `deploy`: the deployer's options (provider, state, hooks, fetch, image builder…) and
 * the run's (signal, timeout, stale-lock takeover).
 */
export interface DeployOptions extends DeployerOptions, UpOptions {
  /**
   * Close the provider when the run ends (its SSH connection, SDK clients, emulator handles), so a
   * script that calls `deploy()` exits by itself. Default `true`; pass `false` to go on using the
   * provider object afterwards.
   */
  closeProvider?: boolean;
}

/**
 * Deploy a service in one call: plan → build → push → secrets → create/update → public URL → verify →
 * roll back on failure. Resolves with a JSON-serialisable result for every outcome; check `status`.
 * The provider is closed when the run ends (see `closeProvider`).
 *
 * @example
 * const result = await deploy({ name: 'hello', image: { ref: 'nginx@sha256:…' } }, { provider: localDocker() });
 * if (result.status !== 'succeeded' && result.status !== 'noop') console.error(result.error);
 */
export async function deploy(spec: ServiceSpecInput, options: DeployOptions): Promise<DeployResult> {
  const { signal, timeoutMs, takeoverStaleLock, closeProvider = true, ...deployerOptions } = options;
  const deployer = createDeployer(deployerOptions);
  try {
    return await deployer.up(spec, {
      ...(signal ? { signal } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(takeoverStaleLock !== undefined ? { takeoverStaleLock } : {}),
    });
  } finally {
    if (closeProvider) await deployer.close();
  }
}
