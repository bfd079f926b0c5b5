export * from './errors.js';
export * from './frames.js';
export * from './methods.js';
