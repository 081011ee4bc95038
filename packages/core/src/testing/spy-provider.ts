import type { Provider } from '../provider/provider.js';

/** Wrap a provider so every call (including `secrets.*`) is logged by name. */
export function spyProvider(provider: Provider): { provider: Provider; calls: string[] } {
  const calls: string[] = [];
  const wrap = <T extends object>(target: T, prefix: string): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver);
        if (typeof property !== 'string') return value;
        if (property === 'secrets' && value && typeof value === 'object')
          return wrap(value as object, 'secrets.');
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.push(`${prefix}${property}`);
          return (value as (...input: unknown[]) => unknown).apply(object, args);
        };
      },
    });
  return { provider: wrap(provider, ''), calls };
}
