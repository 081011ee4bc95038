import { createRequire } from 'node:module';
import type { z } from 'zod';

// Synchronous, so that `cloudRun()` stays synchronous; only on first use. zod is this package's own
// dependency, so it is resolved from here (`lazySchema` itself is `@berth/core`'s).
const requireFromHere = createRequire(import.meta.url);

/** Load zod on first use (importing `@berth/provider-gcp` does not). */
export function loadZod(): typeof z {
  return (requireFromHere('zod') as { z: typeof z }).z;
}
