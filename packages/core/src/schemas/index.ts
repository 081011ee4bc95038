/**
 * `@berth/core/schemas`: the zod schemas behind `validateSpec()`, for tools that embed the service spec
 * in a zod schema of their own (as `@berth/cli` does for `berth.config.ts`).
 *
 * This entry's types are zod 4's. It follows zod's major version: when Berth moves to a new zod major,
 * this entry changes with it, while the root entry (`ServiceSpecInput`, `validateSpec`) does not
 * mention zod. Prefer `validateSpec()` unless you compose schemas.
 */
export {
  buildImageSchema,
  headerValueSchema,
  healthCheckSchema,
  healthSchema,
  refImageSchema,
  resourcesSchema,
  secretSourceSchema,
  serviceSpecSchema,
} from '../spec/service-spec.js';
