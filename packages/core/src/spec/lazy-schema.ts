import { createRequire } from 'node:module';
import type { z } from 'zod';

// Synchronous, so that `validateSpec` stays synchronous; only on first use.
const requireFromHere = createRequire(import.meta.url);

/** Load zod on first use (importing `@berth/core` does not). */
export function loadZod(): typeof z {
  return (requireFromHere('zod') as { z: typeof z }).z;
}

/**
 * A stand-in for an object built on first use: every property read, `in`, key listing and prototype
 * lookup goes to the real object, so it behaves as the object does (methods are bound to it).
 * Exported for provider authors: `lazySchema(() => buildOptionsSchema(loadZodFromYourPackage()))`
 * keeps zod (or any costly object) out of the import of a provider package.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const real = (): T => {
    built ??= build();
    return built;
  };
  return new Proxy({} as T, {
    get(_target, key) {
      const object = real();
      const value = Reflect.get(object, key, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
    has: (_target, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor(_target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      // A proxy may only report a property as non-configurable when its own target has it.
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
