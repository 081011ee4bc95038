import { BerthError } from '../errors/index.js';
import type { PlatformAction, Provider, ProviderCapabilities } from './provider.js';

/**
 * Declare a provider. Returns the same object, checked: `specificationVersion` must be `'v1'` and the
 * required methods present. Use it in a factory: `export const myCloud = (options) => defineProvider({...})`.
 */
export function defineProvider<const T extends Provider>(provider: T): T {
  assertProvider(provider);
  return provider;
}

/** Throw `PROVIDER_CONTRACT_INVALID` unless `value` follows the v1 contract. */
export function assertProvider(value: unknown): asserts value is Provider {
  const candidate = value as Partial<Provider> | undefined;
  const problems: string[] = [];
  if (!candidate || typeof candidate !== 'object') problems.push('is not an object');
  else {
    if (candidate.specificationVersion !== 'v1')
      problems.push(
        `specificationVersion is ${JSON.stringify(candidate.specificationVersion)}, expected "v1"`,
      );
    if (typeof candidate.name !== 'string' || candidate.name === '') problems.push('name is missing');
    for (const method of ['observe', 'apply', 'destroy'] as const)
      if (typeof candidate[method] !== 'function') problems.push(`${method}() is missing`);
  }
  if (problems.length > 0)
    throw new BerthError('PROVIDER_CONTRACT_INVALID', `Invalid provider: ${problems.join('; ')}`);
}

/** What optional members a provider has. */
export function capabilitiesOf(provider: Provider): ProviderCapabilities {
  return {
    secrets: provider.secrets !== undefined,
    imageTarget: typeof provider.imageTarget === 'function',
    verifyBeforeTraffic: typeof provider.shiftTraffic === 'function',
    restoreRevision: typeof provider.restoreRevision === 'function',
    listRevisions: typeof provider.listRevisions === 'function',
    probeRevision: typeof provider.probeRevision === 'function',
    waitReady: typeof provider.waitReady === 'function',
    lock: typeof provider.lock === 'function',
    fetch: typeof provider.fetch === 'function',
    ledger: provider.ledger !== undefined,
    desiredOptions: typeof provider.desiredOptions === 'function',
    finishRestore: typeof provider.finishRestore === 'function',
  };
}

/** The `PlatformAction` a provider put in a thrown error's `details.platform`, if any. */
export function platformActionOf(error: unknown): PlatformAction | undefined {
  if (!BerthError.isInstance(error)) return undefined;
  const action = error.details?.platform as PlatformAction | undefined;
  if (!action || typeof action !== 'object') return undefined;
  if (
    (action.kind === 'never-took-traffic' || action.kind === 'restored') &&
    typeof action.revision === 'string'
  )
    return action;
  return undefined;
}
