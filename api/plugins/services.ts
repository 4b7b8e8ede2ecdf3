import type { Client } from '@temporalio/client';
import fp from 'fastify-plugin';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../config/logger.js';
import type { Db } from '../../db/database.js';
import type { Dispatcher } from '../../ingest/dispatcher.js';

/** What routes use: configuration, the database, Temporal and the event dispatcher. */
export interface Services {
  config: Config;
  db: Db;
  temporal: Client;
  dispatcher: Dispatcher;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** Decorates the app with its services; routes declare it as a dependency. */
export const servicesPlugin = fp<{ services: Services }>(
  async (app, opts) => {
    app.decorate('services', opts.services);
  },
  { name: 'orderly-services' },
);
