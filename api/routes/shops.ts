import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { credentialsHint, encryptCredentials } from '../../channels/credentials.js';
import { connectors } from '../../channels/index.js';
import { findShop, insertShop, listShops, pullsEnabled, updateShop, type ShopPatch, type ShopRow } from '../../db/shops.repository.js';
import { findPullCursor, findPullCursors } from '../../db/channels.repository.js';
import type { PullCursorRow } from '../../db/channels.schema.js';
import type { Platform } from '../../domain/order.js';
import { AppError } from '../errors.js';
import { channelContext } from '../channels/context.js';
import { describePullSchedule, pullScheduleId, syncPullSchedule, type PullScheduleState } from '../channels/pull-schedule.js';
import { errorBody } from './fulfilment.common.js';
import { refuse } from '../plugins/auth.js';


const CHANNEL_PLATFORMS = ['taobao', 'jd', 'douyin', 'pdd'] as const;
const SYNC_MODES = ['push', 'pull', 'both'] as const;

/** Whether the platform pushes its orders (manual orders have no connector, so no push). */
const takesPush = (platform: Platform): boolean => platform !== 'manual' && connectors[platform].verifyPush !== undefined;

// Shop ids are part of workflow ids (`order:<platform>:<shop>:<id>`): no colons, nothing exotic.
const shopId = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'shop ids may contain letters, digits, "_", "-" and "."');

const credentialsIn = z
  .object({
    appKey: z.string().trim().min(1).max(200),
    appSecret: z.string().min(1).max(500),
    accessToken: z.string().min(1).max(2000).optional(),
  })
  .strict()
  .describe('Write-only: stored encrypted (AES-256-GCM), never returned');

const settings = {
  name: z.string().trim().min(1).max(200),
  active: z.boolean(),
  credentials: credentialsIn,
  apiBaseUrl: z.url({ protocol: /^https?$/ }).nullable().describe("The platform gateway; null for the platform's production URL"),
  syncMode: z.enum(SYNC_MODES),
  pullIntervalSeconds: z.number().int().min(5).max(86_400).describe("Default: PULL_DEFAULT_INTERVAL, or the platform's (20 s; Pinduoduo 60 s)"),
  pullLagSeconds: z.number().int().min(0).max(86_400).nullable().describe("Null: the platform's own lag"),
  pullOverlapSeconds: z.number().int().min(0).max(86_400).nullable().describe('Null: PULL_OVERLAP'),
  processPresaleAtDeposit: z.boolean().describe('Presale orders start processing when the deposit is paid'),
};

const createBody = z.strictObject({
  id: shopId.optional().describe('Defaults to a generated id'),
  platform: z.enum(CHANNEL_PLATFORMS),
  name: settings.name,
  active: settings.active.default(true),
  credentials: settings.credentials,
  apiBaseUrl: settings.apiBaseUrl.optional(),
  syncMode: settings.syncMode.optional().describe('Default push, or pull for platforms without push (JD)'),
  pullIntervalSeconds: settings.pullIntervalSeconds.optional(),
  pullLagSeconds: settings.pullLagSeconds.optional(),
  pullOverlapSeconds: settings.pullOverlapSeconds.optional(),
  processPresaleAtDeposit: settings.processPresaleAtDeposit.default(false),
});

const patchBody = z
  .object({
    name: settings.name,
    active: settings.active,
    credentials: settings.credentials,
    apiBaseUrl: settings.apiBaseUrl,
    syncMode: settings.syncMode,
    pullIntervalSeconds: settings.pullIntervalSeconds,
    pullLagSeconds: settings.pullLagSeconds,
    pullOverlapSeconds: settings.pullOverlapSeconds,
    processPresaleAtDeposit: settings.processPresaleAtDeposit,
  })
  .partial()
  .strict();

const shopOut = z.object({
  id: z.string(),
  platform: z.string(),
  name: z.string(),
  active: z.boolean(),
  credentials: z.object({ set: z.boolean(), hint: z.string().nullable() }).describe('Never the secret: only whether it is set and a masked hint'),
  apiBaseUrl: z.string().nullable(),
  syncMode: z.enum(SYNC_MODES),
  pullIntervalSeconds: z.number().int(),
  pullLagSeconds: z.number().int().nullable(),
  pullOverlapSeconds: z.number().int().nullable(),
  processPresaleAtDeposit: z.boolean(),
  webhookPath: z.string().nullable().describe('Where the platform (or Orderly’s relay) pushes; null for platforms without push'),
  pull: z.object({
    scheduleId: z.string(),
    schedule: z.enum(['running', 'paused', 'none', 'unknown']),
    scheduleError: z.string().optional(),
    cursor: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    lastError: z.string().nullable(),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
type ShopOut = z.infer<typeof shopOut>;

/** A shop as its audit rows keep it: its settings, never its credentials (only whether set, and the hint). */
function auditView(s: ShopRow) {
  return {
    id: s.id,
    platform: s.platform,
    name: s.name,
    active: s.active,
    apiBaseUrl: s.api_base_url,
    syncMode: s.sync_mode,
    pullIntervalSeconds: s.pull_interval_s,
    pullLagSeconds: s.pull_lag_s,
    pullOverlapSeconds: s.pull_overlap_s,
    processPresaleAtDeposit: s.process_presale_at_deposit,
    credentials: { set: s.credentials_enc !== null, hint: s.credentials_hint },
  };
}

export const shopRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, temporal, config, logger } = app.services;
  const ctx = channelContext(app.services);

  /** `knownCursor`: the shop's pull cursor when the caller read it already (null: it has none). */
  const present = async (s: ShopRow, schedule?: { state: PullScheduleState | 'unknown'; error?: string }, knownCursor?: PullCursorRow | null): Promise<ShopOut> => {
    let sched = schedule;
    if (!sched) {
      try {
        sched = { state: await describePullSchedule(temporal, s.id) };
      } catch (e) {
        sched = { state: 'unknown', error: e instanceof Error ? e.message : String(e) };
      }
    }
    const cursor = knownCursor === undefined ? await findPullCursor(db, s.id) : knownCursor;
    const hasPush = takesPush(s.platform);
    return {
      ...auditView(s),
      webhookPath: hasPush ? `/webhooks/${s.platform}/${s.id}` : null,
      pull: {
        scheduleId: pullScheduleId(s.id),
        schedule: sched.state,
        ...(sched.error ? { scheduleError: sched.error } : {}),
        cursor: cursor ? cursor.cursor_at.toISOString() : null,
        lastSuccessAt: cursor?.last_success_at ? cursor.last_success_at.toISOString() : null,
        consecutiveFailures: cursor?.consecutive_failures ?? 0,
        lastError: cursor?.last_error ?? null,
      },
      createdAt: s.created_at.toISOString(),
      updatedAt: s.updated_at.toISOString(),
    };
  };

  /** The schedule follows the shop; if Temporal is unreachable the shop is still saved and the answer says so. */
  const syncSchedule = async (s: ShopRow): Promise<{ state: PullScheduleState | 'unknown'; error?: string }> => {
    try {
      const state = await syncPullSchedule(temporal, {
        shopId: s.id,
        platform: s.platform,
        intervalS: s.pull_interval_s,
        enabled: pullsEnabled(s),
        taskQueue: config.TEMPORAL_TASK_QUEUE,
      });
      return { state };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      logger.warn({ shopId: s.id, err: error }, 'pull schedule not updated; PATCH the shop again when Temporal is back');
      return { state: 'unknown', error };
    }
  };

  // Where Orderly sends the shop's credentials and its buyers' data: never in clear text outside development.
  const checkApiBaseUrl = (url: string | null | undefined) => {
    if (!url || new URL(url).protocol === 'https:' || config.NODE_ENV === 'development' || config.ALLOW_HTTP_SHOP_API) return;
    throw new AppError('bad_request', `apiBaseUrl must be an https URL (NODE_ENV=${config.NODE_ENV}; ALLOW_HTTP_SHOP_API=true allows http)`);
  };

  const checkSyncMode = (platform: Platform, mode: string | undefined) => {
    if (mode && mode !== 'pull' && !takesPush(platform)) {
      throw new AppError('bad_request', `${platform} has no push: its sync mode must be "pull"`);
    }
  };

  app.post(
    '/v1/shops',
    {
      schema: {
        tags: ['shops'],
        summary: 'Connect a shop',
        description: 'Credentials are stored encrypted and never returned. With pulls enabled, the shop gets a Temporal Schedule `pull-sync:<id>`.',
        body: createBody,
        response: { 201: shopOut, 400: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const id = b.id ?? `${b.platform}-${randomUUID().slice(0, 8)}`;
      const syncMode = b.syncMode ?? (connectors[b.platform].verifyPush ? 'push' : 'pull');
      checkSyncMode(b.platform, syncMode);
      checkApiBaseUrl(b.apiBaseUrl);
      const row = await insertShop(db, {
        id,
        platform: b.platform,
        name: b.name,
        active: b.active,
        credentialsEnc: encryptCredentials(b.credentials, ctx.masterKey, id),
        credentialsHint: credentialsHint(b.credentials),
        apiBaseUrl: b.apiBaseUrl ?? null,
        syncMode,
        pullIntervalS: b.pullIntervalSeconds ?? Math.max(5, Math.round((config.PULL_DEFAULT_INTERVAL ?? connectors[b.platform].paging.intervalMs) / 1000)),
        pullLagS: b.pullLagSeconds ?? null,
        pullOverlapS: b.pullOverlapSeconds ?? null,
        processPresaleAtDeposit: b.processPresaleAtDeposit,
      });
      if (!row) throw new AppError('conflict', `shop ${id} already exists`);
      req.auditChange(null, auditView(row), { shopId: id });
      req.log.info({ shopId: id, platform: b.platform, syncMode }, 'shop connected');
      return reply.status(201).send(await present(row, await syncSchedule(row)));
    },
  );

  app.get(
    '/v1/shops',
    {
      schema: {
        tags: ['shops'],
        summary: 'List shops',
        querystring: z.object({
          platform: z.enum(CHANNEL_PLATFORMS).optional(),
          limit: z.coerce.number().int().min(1).max(500).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.object({ shops: z.array(shopOut) }) },
      },
    },
    async (req) => {
      const scope = req.auth?.shopIds;
      const rows = await listShops(db, { ...(req.query.platform ? { platform: req.query.platform } : {}), ...(scope ? { ids: scope } : {}), limit: req.query.limit, offset: req.query.offset });
      // One query for every listed shop's cursor, not one per shop.
      const cursors = await findPullCursors(db, rows.map((r) => r.id));
      return { shops: await Promise.all(rows.map((r) => present(r, undefined, cursors.get(r.id) ?? null))) };
    },
  );

  app.get(
    '/v1/shops/:id',
    {
      schema: { tags: ['shops'], summary: 'One shop', params: z.object({ id: z.string() }), response: { 200: shopOut, 404: errorBody } },
    },
    async (req) => {
      const row = await findShop(db, req.params.id);
      if (!row) throw new AppError('not_found', `no shop ${req.params.id}`);
      return present(row);
    },
  );

  app.patch(
    '/v1/shops/:id',
    {
      schema: {
        tags: ['shops'],
        summary: 'Change a shop (credentials are replaced as a whole)',
        params: z.object({ id: z.string() }),
        body: patchBody,
        response: { 200: shopOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const id = req.params.id;
      const existing = await findShop(db, id);
      if (!existing) throw new AppError('not_found', `no shop ${id}`);
      const b = req.body;
      // Where the shop's credentials go, and the credentials themselves: an admin's to change.
      const sensitive = [...(b.apiBaseUrl !== undefined ? ['apiBaseUrl'] : []), ...(b.credentials ? ['credentials'] : [])];
      if (sensitive.length && req.auth?.role !== 'admin') throw refuse(req, 'forbidden', `changing ${sensitive.join(' and ')} of a shop takes an admin key`);
      checkSyncMode(existing.platform, b.syncMode);
      checkApiBaseUrl(b.apiBaseUrl);
      const patch: ShopPatch = {
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.active !== undefined ? { active: b.active } : {}),
        ...(b.credentials ? { credentialsEnc: encryptCredentials(b.credentials, ctx.masterKey, id), credentialsHint: credentialsHint(b.credentials) } : {}),
        ...(b.apiBaseUrl !== undefined ? { apiBaseUrl: b.apiBaseUrl } : {}),
        ...(b.syncMode !== undefined ? { syncMode: b.syncMode } : {}),
        ...(b.pullIntervalSeconds !== undefined ? { pullIntervalS: b.pullIntervalSeconds } : {}),
        ...(b.pullLagSeconds !== undefined ? { pullLagS: b.pullLagSeconds } : {}),
        ...(b.pullOverlapSeconds !== undefined ? { pullOverlapS: b.pullOverlapSeconds } : {}),
        ...(b.processPresaleAtDeposit !== undefined ? { processPresaleAtDeposit: b.processPresaleAtDeposit } : {}),
      };
      const row = (await updateShop(db, id, patch))!;
      ctx.shops.invalidate(id);
      req.auditChange(auditView(existing), { ...auditView(row), ...(b.credentials ? { credentialsReplaced: true } : {}) });
      return present(row, await syncSchedule(row));
    },
  );
};
