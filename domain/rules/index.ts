export * from './facts.js';
export * from './schema.js';
export * from './evaluate.js';
export * from './defaults.js';
export * from './analysis.js';
export * from './order-facts.js';
