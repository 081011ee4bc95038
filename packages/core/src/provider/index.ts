export * from './define-provider.js';
export * from './provider.js';
