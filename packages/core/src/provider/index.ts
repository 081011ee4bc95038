export { defineProvider } from './define-provider.js';
export * from './provider.js';
