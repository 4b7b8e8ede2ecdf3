// The zod schema of the config (schema.ts) is left out on purpose, as in fulfilment/: workflows import this
// index, and zod would be initialised again for every workflow run. Import './pricing/schema.js' where the
// config is parsed (API, settings repository).
export * from './types.js';
export * from './apportion.js';
export * from './pricing.js';
export * from './check.js';
