export * from './types.js';
export * from './decision.js';
export * from './allocation.js';
export * from './split.js';
export * from './carrier.js';
export * from './merge.js';
