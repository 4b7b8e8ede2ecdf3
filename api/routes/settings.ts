import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getSetting, putSetting } from '../../db/settings.repository.js';
import { DEFAULT_ALLOCATION_STRATEGY } from '../../domain/fulfilment/allocation.js';
import { ALLOCATION_STRATEGY_KEY, allocationStrategyInput, type AllocationStrategyInput } from '../../domain/fulfilment/strategy.js';
import { errorBody } from './fulfilment.common.js';

const strategyOut = allocationStrategyInput.extend({
  version: z.number().int(),
  source: z.enum(['default', 'configured']),
  updatedAt: z.string().nullable(),
});

export const settingsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.get(
    '/v1/settings/allocation-strategy',
    {
      schema: {
        tags: ['settings'],
        summary: 'The allocation strategy in force',
        description: 'Filters, ranking criteria and ordered steps that choose warehouses. Every allocation decision records its id and version.',
        response: { 200: strategyOut },
      },
    },
    async () => {
      const stored = await getSetting<AllocationStrategyInput>(db, ALLOCATION_STRATEGY_KEY);
      if (!stored) return { ...DEFAULT_ALLOCATION_STRATEGY, filters: [...DEFAULT_ALLOCATION_STRATEGY.filters], rankBy: [...DEFAULT_ALLOCATION_STRATEGY.rankBy], steps: [...DEFAULT_ALLOCATION_STRATEGY.steps], source: 'default' as const, updatedAt: null };
      return { ...stored.value, version: stored.version, source: 'configured' as const, updatedAt: stored.updatedAt.toISOString() };
    },
  );

  app.put(
    '/v1/settings/allocation-strategy',
    {
      schema: {
        tags: ['settings'],
        summary: 'Replace the allocation strategy (its version goes up by one)',
        body: allocationStrategyInput,
        response: { 200: strategyOut, 400: errorBody },
      },
    },
    async (req) => {
      const saved = await putSetting(db, ALLOCATION_STRATEGY_KEY, req.body);
      req.log.info({ version: saved.version, strategy: req.body }, 'allocation strategy changed');
      return { ...saved.value, version: saved.version, source: 'configured' as const, updatedAt: saved.updatedAt.toISOString() };
    },
  );
};
