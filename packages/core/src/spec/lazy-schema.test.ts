import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { lazySchema } from './lazy-schema.js';
import { healthSchema, serviceSpecSchema } from './service-spec.js';

describe('lazily built schemas', () => {
  it('are built on first use, once', () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds += 1;
      return z.object({ a: z.string() });
    });
    expect(builds).toBe(0);
    expect(schema.parse({ a: 'x' })).toEqual({ a: 'x' });
    expect(schema.safeParse({ a: 1 }).success).toBe(false);
    expect(builds).toBe(1);
  });

  it('behave as the schemas they stand for: parse, shape, keys, composition, instanceof', () => {
    expect(serviceSpecSchema.safeParse({ name: 'app', image: { ref: 'r/app:1' } }).success).toBe(true);
    expect(Object.keys(healthSchema.shape)).toContain('intervalMs');
    expect('shape' in healthSchema).toBe(true);
    expect(healthSchema instanceof z.ZodObject).toBe(true);
    const composed = z.object({ spec: serviceSpecSchema, health: healthSchema.partial() });
    expect(composed.safeParse({ spec: { name: 'app', image: { ref: 'r' } }, health: {} }).success).toBe(true);
    expect(
      serviceSpecSchema.extend({ extra: z.number() }).safeParse({ name: 'a', image: { ref: 'r' } }).success,
    ).toBe(false);
  });
});
