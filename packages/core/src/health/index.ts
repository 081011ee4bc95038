export * from './evaluate-response.js';
export * from './health-failure.js';
export * from './health-report.js';
export * from './health-schedule.js';
export * from './health-url.js';
export * from './non-retryable-status.js';
export * from './read-bounded-body.js';
export * from './verify-health.js';
