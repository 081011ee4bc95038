// The zod schemas behind `validateSpec` are in `@berth/core/schemas`, so zod's types stay out of the root.
export { serviceNameOf } from './service-name.js';
export type * from './spec-types.js';
export * from './validate-spec.js';
