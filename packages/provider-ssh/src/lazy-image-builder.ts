/**
 * An image builder made on first use, so that what it needs (dockerode, `@berth/docker`) loads
 * only when a deploy builds an image, not when the package is imported.
 */
import type { ImageBuilder } from '@berth/core';

/** The builder `load` returns, called at most once (again only after a failed load). */
export function lazyImageBuilder(load: () => Promise<ImageBuilder>): ImageBuilder {
  const builder = once(load);
  return {
    inspect: async (request, context) => (await builder()).inspect(request, context),
    build: async (request, context) => (await builder()).build(request, context),
    async resolve(ref, target, context) {
      const loaded = await builder();
      return loaded.resolve ? loaded.resolve(ref, target, context) : { ref };
    },
    async preflight(context) {
      const loaded = await builder();
      return loaded.preflight ? loaded.preflight(context) : [];
    },
  };
}

/** `load`, called once (again only after a failure). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}
