/**
 * Baseline for the ingest benchmark: a Fastify hello-world in its own process, started and stopped the
 * same way as the API (PORT from the environment, GET /readyz, SIGTERM), so both are measured alike.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/readyz', async () => ({ status: 'ready' }));
app.post('/hello', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) });

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
