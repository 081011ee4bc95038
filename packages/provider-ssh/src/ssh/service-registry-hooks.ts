/**
 * Phase 6, "register": tell a service registry (or any webhook) that a service is live after it
 * passed verification, and that it is gone before `down`. Engine hooks, so they run in the right
 * phase whatever the provider; pass them to `createDeployer({ hooks })`.
 */
import type { Hook, HookContext } from '@berth/core';

/** Options of `serviceRegistryHooks`. */
export interface ServiceRegistryHookOptions {
  /** Where to POST, e.g. `https://registry.internal/register`. */
  url: string;
  /** Extra request headers (e.g. `Authorization`); never logged. */
  headers?: Record<string, string>;
  /** Attempts per call (network errors, 429 and 5xx are retried). Default 3. */
  attempts?: number;
  /** Wait before the second attempt, doubled each time. Default 1000 ms. */
  backoffMs?: number;
  /** Timeout of one attempt. Default 5000 ms. */
  timeoutMs?: number;
  /** `continue` (default): a registry failure only logs a warning; `abort` fails the phase (after verify: a rollback). */
  onFailure?: 'continue' | 'abort';
  /** Also deregister before `down`. Default true. */
  deregister?: boolean;
  fetch?: typeof globalThis.fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What is POSTed. */
export interface RegistryEvent {
  event: 'register' | 'deregister';
  service: string;
  url?: string;
  revision?: string;
  at: string;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/** POST `event` with retries; throws after the last failed attempt. */
export async function postRegistryEvent(
  options: ServiceRegistryHookOptions,
  event: RegistryEvent,
  context: Pick<HookContext, 'signal' | 'log'>,
): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const doFetch = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? defaultSleep;
  let wait = options.backoffMs ?? 1_000;
  let lastError = '';
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    try {
      const response = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(event),
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(options.timeoutMs ?? 5_000)]),
      });
      if (response.ok) {
        context.log(`${event.event}: ${options.url} answered ${response.status} (attempt ${attempt})`);
        return;
      }
      lastError = `HTTP ${response.status}`;
      if (response.status < 500 && response.status !== 429) break; // the request itself is wrong
    } catch (error) {
      if (context.signal.aborted) throw error;
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (attempt < attempts) {
      context.log(`${event.event}: ${options.url} failed (${lastError}); retrying in ${wait} ms`);
      await sleep(wait, context.signal);
      wait *= 2;
    }
  }
  throw new Error(`${event.event} at ${options.url} failed: ${lastError}`);
}

/** The register hook (after `verify`) and, unless turned off, the deregister hook (before `destroy`). */
export function serviceRegistryHooks(options: ServiceRegistryHookOptions): Hook[] {
  const onFailure = options.onFailure ?? 'continue';
  const hooks: Hook[] = [
    {
      name: 'service-registry:register',
      after: 'verify',
      onFailure,
      run: (context) =>
        postRegistryEvent(
          options,
          {
            event: 'register',
            service: context.service,
            ...(context.facts.url ? { url: context.facts.url } : {}),
            ...(context.facts.revision ? { revision: context.facts.revision } : {}),
            at: new Date().toISOString(),
          },
          context,
        ),
    },
  ];
  if (options.deregister !== false) {
    hooks.push({
      name: 'service-registry:deregister',
      before: 'destroy',
      onFailure: 'continue',
      run: (context) =>
        postRegistryEvent(
          options,
          { event: 'deregister', service: context.service, at: new Date().toISOString() },
          context,
        ),
    });
  }
  return hooks;
}
