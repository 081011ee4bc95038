import type { Provider } from '../provider/provider.js';

/**
 * Wrap a provider so every call (including `secrets.*`) is logged by name. The calls of a lock that
 * `lock` returns are logged too, as `lock.renew` and `lock.release`.
 */
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
          const result = (value as (...input: unknown[]) => unknown).apply(object, args);
          if (prefix === '' && property === 'lock')
            return (result as Promise<object>).then((lock) => wrap(lock, 'lock.'));
          return result;
        };
      },
    });
  return { provider: wrap(provider, ''), calls };
}
