export * from './model.js';
export * from './actions.js';
// policy.ts is left out on purpose: it needs zod, and workflows import this index.
export * from './suggest.js';
