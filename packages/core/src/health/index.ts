// The root entry exposes the health report types (they are part of every result); the verifier itself
// is in `@berth/core/plugin-kit`, its schedule and response rules are internal.
export type { HealthAttempt, HealthReport, ResolvedHealthCheck } from './health-report.js';
