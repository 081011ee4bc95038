// The zod schemas behind `validateSpec` are in `@berth/core/schemas`, so zod's types stay out of the root.
export {
  type HeaderValue,
  type HealthCheck,
  type HealthCheckInput,
  type HealthSpec,
  type JsonValue,
  type Resources,
  type SecretSource,
  type ServiceSpec,
  type ServiceSpecInput,
  serviceNameOf,
} from './service-spec.js';
export * from './validate-spec.js';
