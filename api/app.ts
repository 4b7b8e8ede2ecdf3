import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerErrorHandler } from './errors.js';
import { settingsRoutes } from './routes/settings.js';
import { servicesPlugin, type Services } from './plugins/services.js';
import { authPlugin } from './plugins/auth.js';
import { metricsPlugin } from './plugins/metrics.js';
import { limitsPlugin } from './plugins/limits.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { inputTextPlugin } from './plugins/input-text.js';
import { apiTlsOptions } from '../config/tls.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { auditRoutes } from './routes/audit.js';
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
import { inboxRoutes } from './routes/inbox.js';
import { codecRoutes } from './routes/codec.js';
import { reportRoutes } from './routes/reports.js';

export interface BuildAppOptions {
  services: Services;
}

/** Builds the Fastify app from its plugins and routes; `server.ts` only listens. Tests call `app.inject`. */
export async function buildApp({ services }: BuildAppOptions): Promise<FastifyInstance> {
  // Fastify's own logger type is narrower than pino's; the instance is the same pino logger.
  const loggerInstance: FastifyBaseLogger = services.logger.child({ component: 'api' });
  const { config } = services;
  // https when API_TLS_CERT_PATH/KEY_PATH are set (plain http on the port is then refused); http otherwise.
  const https = apiTlsOptions(config) ?? null;
  const proxy = config.TRUST_PROXY;
  // The request types are the same over http and https: routes and tests see one FastifyInstance type.
  const server = Fastify({
    loggerInstance,
    https,
    // Webhooks and the codec have larger limits of their own (api/plugins/limits.ts).
    bodyLimit: config.API_BODY_LIMIT,
    // A hop count, as Fastify reads a number (its types name only the other forms).
    trustProxy: typeof proxy === 'number' ? (_address: string, hop: number) => hop < proxy : proxy,
    routerOptions: { maxParamLength: 300 },
  }) as unknown as FastifyInstance;
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  // A request slower than SLOW_REQUEST_MS (receipt to answer sent, inside this process) is logged.
  const slowMs = services.config.SLOW_REQUEST_MS;
  app.addHook('onResponse', async (req, reply) => {
    if (reply.elapsedTime >= slowMs) req.log.warn({ method: req.method, url: req.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'slow request');
  });

  // Services, then who may call what (api/plugins/access.ts): before any route, so that every route is seen.
  await app.register(servicesPlugin, { services });
  // Headers on every answer, refusals included; then body and rate limits, before a key is looked up.
  await app.register(securityHeadersPlugin);
  await app.register(limitsPlugin);
  // Text PostgreSQL cannot store is refused before anything looks it up (the auth plugin's shop look-ups too).
  await app.register(inputTextPlugin);
  await app.register(authPlugin);
  // Metrics before the routes too: its hook times the ingest routes, and it serves GET /metrics.
  await app.register(metricsPlugin);

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
        { name: 'access', description: 'API keys, their roles and shops, and the audit log (admin)' },
        { name: 'reports', description: 'Reports from PostgreSQL: orders and stage times, review, splits and merges, exceptions, warehouse load, carriers and freight, goods value, people; JSON or CSV' },
      ],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An Orderly API key: Authorization: Bearer <key>' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

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
  await app.register(inboxRoutes);
  await app.register(apiKeyRoutes);
  await app.register(auditRoutes);
  await app.register(codecRoutes);
  await app.register(reportRoutes);
  return app;
}
