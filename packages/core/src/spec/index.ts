export * from './service-spec.js';
export * from './validate-spec.js';
