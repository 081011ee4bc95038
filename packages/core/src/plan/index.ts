export * from './plan.js';
export * from './plan-service.js';
