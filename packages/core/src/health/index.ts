export * from './evaluate-response.js';
export * from './health-report.js';
export * from './verify-health.js';
