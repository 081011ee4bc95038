export * from './fingerprint.js';
export * from './generate-secret.js';
export * from './redactor.js';
