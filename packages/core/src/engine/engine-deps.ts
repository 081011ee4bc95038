import type { Clock } from '../ports/clock.js';
import type { ImageBuilder } from '../ports/image-builder.js';
import type { Provider } from '../provider/provider.js';
import type { StateStore } from '../state/state-store.js';
import type { BerthEvent } from './events.js';
import type { Hook } from './hooks.js';
import type { SecretSources } from './resolve-secrets.js';

/** The ports and settings every operation of a deployer uses. */
export interface EngineDeps {
  provider: Provider;
  state: StateStore;
  clock: Clock;
  imageBuilder?: ImageBuilder;
  fetch: typeof globalThis.fetch;
  hooks: Hook[];
  onEvent?: (event: BerthEvent) => void;
  lockTtlMs: number;
  takeoverStaleLock: boolean;
  secretSources: SecretSources;
}
