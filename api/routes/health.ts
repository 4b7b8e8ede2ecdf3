import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pingDatabase } from '../../db/database.js';

const check = z.object({ ok: z.boolean(), error: z.string().optional(), ms: z.number() });

async function timed(fn: () => Promise<unknown>): Promise<z.infer<typeof check>> {
  const t = performance.now();
  try {
    await fn();
    return { ok: true, ms: Math.round(performance.now() - t) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e), ms: Math.round(performance.now() - t) };
  }
}

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal } = app.services;

  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness: the process is up', response: { 200: z.object({ status: z.literal('ok') }) } } }, async () => ({
    status: 'ok' as const,
  }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: PostgreSQL and Temporal both answer',
        response: { 200: z.object({ status: z.string(), postgres: check, temporal: check }), 503: z.object({ status: z.string(), postgres: check, temporal: check }) },
      },
    },
    async (_req, reply) => {
      const [postgres, temporalCheck] = await Promise.all([
        timed(() => pingDatabase(db)),
        timed(() => temporal.withDeadline(Date.now() + 2000, () => temporal.connection.workflowService.getSystemInfo({}))),
      ]);
      const ok = postgres.ok && temporalCheck.ok;
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', postgres, temporal: temporalCheck });
    },
  );
};
