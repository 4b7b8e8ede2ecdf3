import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerErrorHandler } from './errors.js';
import { settingsRoutes } from './routes/settings.js';
import { servicesPlugin, type Services } from './plugins/services.js';
import { healthRoutes } from './routes/health.js';
import { orderRoutes } from './routes/orders.js';
import { carrierRoutes } from './routes/carriers.js';
import { customerRoutes } from './routes/customers.js';
import { reviewRoutes } from './routes/reviews.js';
import { exceptionRoutes } from './routes/exceptions.js';
import { ruleRoutes } from './routes/rules.js';
import { decisionRoutes } from './routes/decisions.js';
import { inventoryRoutes } from './routes/inventory.js';
import { packageRoutes } from './routes/packages.js';
import { skuRoutes } from './routes/skus.js';
import { transferRoutes } from './routes/transfers.js';
import { warehouseRoutes } from './routes/warehouses.js';
import { shopRoutes } from './routes/shops.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface BuildAppOptions {
  services: Services;
}

/** Builds the Fastify app from its plugins and routes; `server.ts` only listens. Tests call `app.inject`. */
export async function buildApp({ services }: BuildAppOptions): Promise<FastifyInstance> {
  // Fastify's own logger type is narrower than pino's; the instance is the same pino logger.
  const loggerInstance: FastifyBaseLogger = services.logger.child({ component: 'api' });
  const app = Fastify({
    loggerInstance,
    bodyLimit: 5 * 1024 * 1024,
    routerOptions: { maxParamLength: 300 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  // A request slower than SLOW_REQUEST_MS (receipt to answer sent, inside this process) is logged.
  const slowMs = services.config.SLOW_REQUEST_MS;
  app.addHook('onResponse', async (req, reply) => {
    if (reply.elapsedTime >= slowMs) req.log.warn({ method: req.method, url: req.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'slow request');
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Orderly API', version: '0.1.0', description: 'Orders in, workflows started, state out. Money is integer fen; times are UTC.' },
      tags: [
        { name: 'orders', description: 'Orders and their events' },
        { name: 'shops', description: 'Shops on their platforms, credentials and sync' },
        { name: 'reviews', description: 'The manual-review queue and reviewers\' decisions' },
        { name: 'exceptions', description: 'The exception center: the queue by severity and due time, suggestions, assignment, resolution, SLA policy' },
        { name: 'customers', description: 'Buyers the seller knows: VIP level, blacklist, tags (for the review rules)' },
        { name: 'warehouses', description: 'Warehouses, their regions and capacity' },
        { name: 'skus', description: 'Merchant SKUs' },
        { name: 'inventory', description: 'Stock per warehouse and SKU, adjustments' },
        { name: 'carriers', description: 'Carriers, services, coverage and costs' },
        { name: 'packages', description: 'Parcels and warehouse events' },
        { name: 'transfers', description: 'Stock moved between warehouses for an order' },
        { name: 'settings', description: 'Admin-tunable rules' },
        { name: 'rules', description: 'The rule model (review, priority, merge, split, carrier, allocation): versions, publication, dry runs' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(servicesPlugin, { services });
  await app.register(healthRoutes);
  await app.register(orderRoutes);
  await app.register(warehouseRoutes);
  await app.register(skuRoutes);
  await app.register(inventoryRoutes);
  await app.register(carrierRoutes);
  await app.register(packageRoutes);
  await app.register(transferRoutes);
  await app.register(decisionRoutes);
  await app.register(settingsRoutes);
  await app.register(ruleRoutes);
  await app.register(shopRoutes);
  await app.register(customerRoutes);
  await app.register(reviewRoutes);
  await app.register(exceptionRoutes);
  await app.register(webhookRoutes);
  return app;
}
