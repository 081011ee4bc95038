/**
 * zod, loaded on first use: importing `@berth/provider-ssh` does not load it (about 40 ms); the
 * option schemas are built the first time a factory validates its options.
 */
import { createRequire } from 'node:module';
import type { z } from 'zod';

const requireFromHere = createRequire(import.meta.url);

/** The `z` namespace of this package's zod, loaded now. */
export function loadZod(): typeof z {
  return (requireFromHere('zod') as { z: typeof z }).z;
}
