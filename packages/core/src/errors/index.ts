export * from './berth-error.js';
export * from './error-codes.js';
