import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getSetting, putSetting, type Setting } from '../../db/settings.repository.js';
import { DEFAULT_ALLOCATION_STRATEGY } from '../../domain/fulfilment/allocation.js';
import { ALLOCATION_STRATEGY_KEY, allocationStrategyInput, type AllocationStrategyInput } from '../../domain/fulfilment/strategy.js';
import { MERGE_POLICY_KEY, mergePolicyFrom, mergePolicyInput, type MergePolicyInput } from '../../domain/fulfilment/merge-policy.js';
import { errorBody } from './fulfilment.common.js';
import { settingVersionRoute } from './setting-versions.js';

const strategyOut = allocationStrategyInput.extend({
  version: z.number().int(),
  source: z.enum(['default', 'configured']),
  updatedAt: z.string().nullable(),
});

const mergePolicyOut = z.object({
  id: z.string(),
  hold: mergePolicyInput.shape.hold,
  holdWindowSeconds: z.number().nullable().describe('As stored; null: the deployment window is used'),
  effectiveHoldWindowSeconds: z.number().describe('The window a held package waits now'),
  version: z.number().int(),
  source: z.enum(['default', 'configured']),
  updatedAt: z.string().nullable(),
});


/** A setting as its audit row keeps it: null when only the built-in default was in force. */
const versioned = (s: Setting<unknown> | undefined) => (s ? { version: s.version, value: s.value } : null);

export const settingsRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, config } = app.services;
  const mergePolicyView = (stored: { value: MergePolicyInput; version: number; updatedAt: Date } | undefined) => {
    const p = mergePolicyFrom(stored, config.PACKAGE_HOLD_WINDOW);
    return {
      id: p.id,
      hold: p.hold,
      holdWindowSeconds: stored?.value.holdWindowSeconds ?? null,
      effectiveHoldWindowSeconds: p.holdWindowMs / 1000,
      version: p.version,
      source: stored ? ('configured' as const) : ('default' as const),
      updatedAt: stored ? stored.updatedAt.toISOString() : null,
    };
  };

  app.get(
    '/v1/settings/merge-policy',
    {
      schema: {
        tags: ['settings'],
        summary: 'The merge policy in force',
        description:
          'When a new package waits for more orders of the same buyer and address before it is released: always, only when the buyer has another open order in the shop (default), or never. Every merge decision records its id and version.',
        response: { 200: mergePolicyOut },
      },
    },
    async () => mergePolicyView(await getSetting<MergePolicyInput>(db, MERGE_POLICY_KEY)),
  );

  app.put(
    '/v1/settings/merge-policy',
    {
      schema: {
        tags: ['settings'],
        summary: 'Replace the merge policy (its version goes up by one); applies to packages opened from now on',
        body: mergePolicyInput,
        response: { 200: mergePolicyOut, 400: errorBody },
      },
    },
    async (req) => {
      const before = await getSetting<MergePolicyInput>(db, MERGE_POLICY_KEY);
      const saved = await putSetting(db, MERGE_POLICY_KEY, req.body);
      req.auditChange(versioned(before), versioned(saved));
      req.log.info({ version: saved.version, policy: req.body }, 'merge policy changed');
      return mergePolicyView(saved);
    },
  );

  settingVersionRoute(app, db, {
    path: '/v1/settings/merge-policy',
    key: MERGE_POLICY_KEY,
    what: 'merge policy',
    tags: ['settings'],
    description: 'Every version a merge decision names can be read back. The built-in default is not a stored version.',
    out: mergePolicyOut,
    view: (stored) => mergePolicyView(stored as Setting<MergePolicyInput>),
  });

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
        // Strict here only: a stored strategy is read leniently (domain/fulfilment/strategy.ts).
        body: allocationStrategyInput.strict(),
        response: { 200: strategyOut, 400: errorBody },
      },
    },
    async (req) => {
      const before = await getSetting<AllocationStrategyInput>(db, ALLOCATION_STRATEGY_KEY);
      const saved = await putSetting(db, ALLOCATION_STRATEGY_KEY, req.body);
      req.auditChange(versioned(before), versioned(saved));
      req.log.info({ version: saved.version, strategy: req.body }, 'allocation strategy changed');
      return { ...saved.value, version: saved.version, source: 'configured' as const, updatedAt: saved.updatedAt.toISOString() };
    },
  );

  settingVersionRoute(app, db, {
    path: '/v1/settings/allocation-strategy',
    key: ALLOCATION_STRATEGY_KEY,
    what: 'allocation strategy',
    tags: ['settings'],
    description: 'Every version an allocation decision names can be read back. The built-in default (allocation.default) is not a stored version.',
    out: strategyOut,
    view: (stored) => ({ ...(stored.value as AllocationStrategyInput), version: stored.version, source: 'configured' as const, updatedAt: stored.updatedAt.toISOString() }),
  });
};
