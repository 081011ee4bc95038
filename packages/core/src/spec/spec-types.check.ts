// Compile-time proof that the hand-written spec types (spec-types.ts) are exactly what the zod schemas
// accept and produce: `pnpm typecheck` fails when a schema changes and the types do not follow.
import type { z } from 'zod';
import type {
  buildImageSchema,
  headerValueSchema,
  healthCheckSchema,
  healthSchema,
  refImageSchema,
  resourcesSchema,
  secretSourceSchema,
  serviceSpecSchema,
} from './service-spec.js';
import type * as T from './spec-types.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<Condition extends true> = Condition;
/**
 * Input types: every value the type allows passes the schema, and the fields are the same. (The input
 * types may be narrower: zod types a lazy JSON value's input as `unknown`, the spec says `JsonValue`.)
 */
type Accepted<A, B> = [A] extends [B] ? Same<keyof A, keyof B> : false;

export type SpecTypesMatchSchemas = [
  Assert<Same<T.BuildImage, z.output<typeof buildImageSchema>>>,
  Assert<Same<T.RefImage, z.output<typeof refImageSchema>>>,
  Assert<Same<T.SecretSource, z.output<typeof secretSourceSchema>>>,
  Assert<Same<T.HeaderValue, z.output<typeof headerValueSchema>>>,
  Assert<Accepted<T.HealthCheckInput, z.input<typeof healthCheckSchema>>>,
  Assert<Same<T.HealthCheck, z.output<typeof healthCheckSchema>>>,
  Assert<Accepted<T.HealthSpecInput, z.input<typeof healthSchema>>>,
  Assert<Same<T.HealthSpec, z.output<typeof healthSchema>>>,
  Assert<Same<T.Resources, z.output<typeof resourcesSchema>>>,
  Assert<Accepted<T.ServiceSpecInput, z.input<typeof serviceSpecSchema>>>,
  Assert<Same<T.ServiceSpec, z.output<typeof serviceSpecSchema>>>,
];
