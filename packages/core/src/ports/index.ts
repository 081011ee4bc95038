export * from './clock.js';
export * from './image-builder.js';
