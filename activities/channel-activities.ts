import { ApplicationFailure, Context } from '@temporalio/activity';
import { fieldCipherFor } from '../config/field-cipher.js';
import { createDispatcher } from '../ingest/dispatcher.js';
import { ingestEvent } from '../ingest/ingest.js';
import { ChannelPayloadError, connectorFor, firstPageStep, nextPageStep, splitWindow, type ChannelConnector, type MappedOrder } from '../channels/index.js';
import { masterKeyFrom } from '../channels/credentials.js';
import { isPermanentChannelError, sendSigned } from '../channels/http.js';
import { fetchPlatformOrder, looseOrder, orderSnapshotEvent } from '../channels/orders.js';
import {
  buildShipmentCheckRequest,
  buildWritebackRequest,
  isWritebackRefusal,
  judgeAlreadyShipped,
  parseShipmentCheck,
  parseWritebackResponse,
  planWriteback,
  SPLIT_SUPPORT,
  type ShipmentNotice,
  type WritebackAnswer,
  type WritebackCall,
  type WritebackPlatform,
} from '../channels/writeback.js';
import { findCarrierPlatformCode } from '../db/carrier-codes.repository.js';
import {
  advancePullCursor,
  claimWriteback,
  failWritebackAttempt,
  findPullCursor,
  finishWriteback,
  listOrderWritebacks,
  recordPullFailure,
  resolveExceptions,
  type WritebackKey,
} from '../db/channels.repository.js';
import { hasInboxEvents, knownMessageIds } from '../db/inbox.repository.js';
import { findShop, pullsEnabled } from '../db/shops.repository.js';
import { openWatchedException } from '../ingest/exception-watch.js';
import { loadShopAccess, shopAccess, type ShopAccess } from '../ingest/shop-access.js';
import { orderWorkflowId } from '../domain/order.js';
import type { PullPageInput, PullPageResult, PullPlan } from '../workflows/pull-sync.messages.js';
import type { ActivityDeps } from './order-activities.js';

/** One package (tracking number) of one order to send to its platform; (order, tracking number) keys its record. */
export interface WriteBackShipmentInput extends WritebackKey {
  /** Orderly's carrier code; the platform's own code or id comes from the carrier's platform codes. */
  carrierCode: string;
  /** The platform's sub-order ids of the lines in this package (split shipments). */
  lineIds?: readonly string[] | undefined;
  packageId?: string | undefined;
  /**
   * The order leaves in more than one package, or this one lacks some of its lines: the package is told as
   * part of a split shipment. Absent (runs recorded before packages named their lines): the whole order.
   */
  split?: boolean | undefined;
}

export interface WriteBackShipmentResult {
  /** `skipped`: the shop is not connected to a platform (manual orders, shops without credentials). */
  status: 'sent' | 'already_sent' | 'skipped';
  attempts: number;
  /** How the package was told (absent when skipped or told before). */
  call?: WritebackCall;
}

const PULL_FAILURE_KIND = 'channel_pull_failing';
/** A run reads at most this much history, so a shop that was off for days catches up over several runs. */
const MAX_RUN_SPAN_MS = 6 * 3600_000;
/** Detail calls in flight at once for one page (platforms rate-limit per app). */
const DETAIL_CONCURRENCY = 8;

/** A pulled order's inbox message id: its modified time makes a re-read of the same version a duplicate, and a changed one new. */
function pullMessageId(platformOrderId: string, modified: string): string {
  return `pull:${platformOrderId}:${modified}`;
}

function permanent(e: unknown): never {
  throw ApplicationFailure.nonRetryable(e instanceof Error ? e.message : String(e), 'ChannelPermanentError');
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Pull sync and shipment write-back: every platform call is here, retried with backoff by Temporal. */
export function createChannelActivities(deps: ActivityDeps) {
  const { db, config, logger } = deps;
  let masterKey: Buffer | undefined;
  const key = () => (masterKey ??= masterKeyFrom(config).key);
  const dispatcher = createDispatcher({ client: deps.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT });
  const ingestDeps = { db, dispatcher, logger, cipher: fieldCipherFor(config, logger) };
  // A shop's exceptions (and an order's that its workflow does not follow) escalate by a watch of their own.
  const watched = { db, client: deps.temporal, taskQueue: config.TEMPORAL_TASK_QUEUE };

  const access = async (shopId: string): Promise<ShopAccess & { connector: ChannelConnector }> => {
    const a = await loadShopAccess(db, shopId, key()).catch(permanent);
    if (!a) throw ApplicationFailure.nonRetryable(`no shop ${shopId}`, 'ShopNotFound');
    return { ...a, connector: connectorFor(a.shop.platform) };
  };

  /** `created` the first time Orderly hears of the order, `snapshot` afterwards; same inbox either way. */
  const ingestPulled = async (a: ShopAccess, mapped: MappedOrder): Promise<boolean> => {
    const o = looseOrder(mapped);
    const orderId = orderWorkflowId(o.platform, a.shop.id, o.platformOrderId);
    const known = await hasInboxEvents(db, orderId);
    const event = orderSnapshotEvent(known ? 'snapshot' : 'created', mapped, { processAtDeposit: a.shop.process_presale_at_deposit });
    const r = await ingestEvent(ingestDeps, {
      platform: o.platform,
      shopId: a.shop.id,
      messageId: pullMessageId(o.platformOrderId, o.updatedAt ?? o.createdAt),
      orderId,
      source: 'pull',
      event,
      ...(event.type === 'created' ? { order: event.order } : {}),
    });
    return !r.duplicate;
  };

  return {
    /** The run's windows, and the first request of each: the platform's paging rules stay on this side. */
    async planPullWindow(input: { shopId: string }): Promise<PullPlan> {
      const a = await access(input.shopId);
      const rules = a.connector.paging;
      const base = {
        shopId: input.shopId,
        platform: a.shop.platform,
        direction: rules.direction,
        firstPage: rules.firstPage,
        pageSize: rules.maxPageSize,
        firstStep: firstPageStep(rules),
      };
      if (!pullsEnabled(a.shop)) return { ...base, skipReason: 'pulls are disabled for this shop', windows: [], cursorEnd: new Date().toISOString() };
      const now = Date.now();
      const lagMs = a.shop.pull_lag_s !== null ? a.shop.pull_lag_s * 1000 : rules.lagMs;
      const overlapMs = a.shop.pull_overlap_s !== null ? a.shop.pull_overlap_s * 1000 : config.PULL_OVERLAP;
      const cursor = await findPullCursor(db, input.shopId);
      const from = cursor ? cursor.cursor_at.getTime() : now - config.PULL_INITIAL_LOOKBACK;
      const start = new Date(from - overlapMs);
      // Whole seconds: the platforms' windows are in seconds, and the cursor must not claim a part-second.
      const end = new Date(Math.floor(Math.min(now - lagMs, start.getTime() + MAX_RUN_SPAN_MS) / 1000) * 1000);
      if (end <= start) return { ...base, skipReason: null, windows: [], cursorEnd: new Date(from).toISOString() };
      const windows = splitWindow(start, end, rules.maxWindowMs).map((w) => ({ start: w.start.toISOString(), end: w.end.toISOString() }));
      return { ...base, skipReason: null, windows, cursorEnd: end.toISOString() };
    },

    /** Reads one page of a window into the inbox and says which request comes next (null: the window is done). */
    async pullPage(input: PullPageInput): Promise<PullPageResult> {
      const a = await access(input.shopId);
      const c = a.connector;
      const query = { window: { start: new Date(input.window.start), end: new Date(input.window.end) }, page: input.page, pageSize: input.pageSize, now: new Date(), ...(input.probe ? { probe: true } : {}) };
      let page;
      try {
        page = c.parsePullPage(await sendSigned(c.buildPullRequest(query, a.credentials)), query);
      } catch (e) {
        if (isPermanentChannelError(e)) permanent(e);
        throw e;
      }
      let next: PullPageResult['next'];
      try {
        next = nextPageStep(c.paging, { page: input.page, probe: input.probe }, page);
      } catch (e) {
        // A page that cannot say where the walk goes (a backward probe without its total) will not on a retry.
        permanent(e);
      }
      let ingested = 0;
      let duplicates = 0;
      let items = page.orders.map((o, i) => ({ o, id: page.platformOrderIds[i]!, modified: page.modified?.[i] }));
      if (!c.paging.listHasDetail) {
        // An order the inbox holds at the modified time the list shows was read and stored by an earlier run
        // (the overlap re-reads every window's start): its detail is not read again. A changed one is.
        const seen = (x: (typeof items)[number]) => (x.modified ? pullMessageId(x.id, x.modified) : undefined);
        const known = await knownMessageIds(db, a.shop.platform, input.shopId, items.flatMap((x) => seen(x) ?? []));
        const fresh = items.filter((x) => !known.has(seen(x) ?? ''));
        duplicates += items.length - fresh.length;
        items = fresh;
      }
      const results = await mapLimit(items, DETAIL_CONCURRENCY, async ({ o, id }) => {
        Context.current().heartbeat({ page: input.page });
        try {
          const mapped = c.paging.listHasDetail ? c.mapOrder(o, { shopId: input.shopId }) : await fetchPlatformOrder(a.shop.platform, a.credentials, input.shopId, id);
          return await ingestPulled(a, mapped);
        } catch (e) {
          if (!(e instanceof ChannelPayloadError)) throw e;
          // One unreadable order must not stop the shop's pulls: it is raised for a human instead.
          await openWatchedException(watched, { kind: 'channel_order_unreadable', shopId: input.shopId, orderId: orderWorkflowId(a.shop.platform, input.shopId, id), detail: { reason: e.message } });
          logger.warn({ shopId: input.shopId, platformOrderId: id, err: e.message }, 'pulled order cannot be read; exception raised');
          return false;
        }
      });
      for (const r of results) if (r) ingested++; else duplicates++;
      return { page: page.page, pageSize: page.pageSize, ...(page.total !== undefined ? { total: page.total } : {}), hasNext: page.hasNext, orders: page.orders.length, ingested, duplicates, next };
    },

    async advancePullCursor(input: { shopId: string; cursor: string; orders: number }): Promise<{ cursor: string }> {
      const at = await advancePullCursor(db, input.shopId, new Date(input.cursor), input.orders);
      const resolved = await resolveExceptions(db, PULL_FAILURE_KIND, input.shopId);
      if (resolved) logger.info({ shopId: input.shopId }, 'pulls of the shop work again; alert resolved');
      return { cursor: at.toISOString() };
    },

    /** Counts a failed run; from PULL_ALERT_AFTER_FAILURES in a row, an alert (log + exception, once while open). */
    async recordPullRunFailure(input: { shopId: string; error: string }): Promise<{ consecutiveFailures: number; alerted: boolean }> {
      const n = await recordPullFailure(db, input.shopId, input.error, new Date(Date.now() - config.PULL_INITIAL_LOOKBACK));
      if (n < config.PULL_ALERT_AFTER_FAILURES) return { consecutiveFailures: n, alerted: false };
      const { created } = await openWatchedException(watched, { kind: PULL_FAILURE_KIND, shopId: input.shopId, detail: { consecutiveFailures: n, lastError: input.error } });
      if (created) logger.error({ shopId: input.shopId, consecutiveFailures: n, err: input.error }, 'ALERT: pulls of the shop keep failing');
      return { consecutiveFailures: n, alerted: true };
    },

    /**
     * Tells the platform about one package: its tracking number, with the platform's own carrier code, as a
     * whole-order shipment, a split shipment of its lines or a further tracking number (see
     * channels/writeback.ts). Once per (order, tracking number): a retried or repeated call after success does
     * nothing. An "already shipped" answer counts only when the platform's record holds this tracking number;
     * otherwise the package is added the platform's way, or rejected with an exception for a person.
     */
    async writeBackShipment(input: WriteBackShipmentInput): Promise<WriteBackShipmentResult> {
      if (input.platform === 'manual') return { status: 'skipped', attempts: 0 };
      const shop = await findShop(db, input.shopId);
      if (!shop?.credentials_enc) {
        logger.info({ orderId: input.orderId, shopId: input.shopId }, 'shop has no platform connection: nothing to write back');
        return { status: 'skipped', attempts: 0 };
      }
      const row = await claimWriteback(db, input);
      if (row.status === 'sent') return { status: 'already_sent', attempts: row.attempts };
      if (row.status === 'rejected') throw ApplicationFailure.nonRetryable(`write-back of ${input.trackingNo} was rejected: ${row.last_error ?? ''}`, 'WritebackRejected');
      let a: ShopAccess;
      try {
        a = shopAccess(shop, key());
      } catch (e) {
        permanent(e);
      }
      const platform = a.shop.platform as WritebackPlatform;
      const detail = { trackingNo: input.trackingNo, carrierCode: input.carrierCode, ...(input.packageId ? { packageId: input.packageId } : {}), ...(input.lineIds?.length ? { lineIds: input.lineIds } : {}) };
      const reject = async (kind: string, type: string, message: string, extra: Record<string, unknown> = {}): Promise<never> => {
        await finishWriteback(db, row.id, { status: 'rejected', response: '', error: message });
        // The rejection stands whether or not the watch starts: a retry would find the write-back rejected.
        const onWatchError = (e: unknown) => logger.error({ orderId: input.orderId, kind, err: e instanceof Error ? e.message : String(e) }, 'exception watch not started');
        await openWatchedException({ ...watched, onWatchError }, { kind, shopId: input.shopId, orderId: input.orderId, detail: { ...detail, platform, error: message, ...extra } });
        logger.warn({ orderId: input.orderId, trackingNo: input.trackingNo, kind }, `write-back rejected: ${message}`);
        throw ApplicationFailure.nonRetryable(message, type);
      };

      const platformCarrierCode = await findCarrierPlatformCode(db, platform, input.carrierCode);
      if (!platformCarrierCode) {
        return reject(
          'channel_writeback_carrier_unmapped',
          'CarrierNotMapped',
          `carrier ${input.carrierCode} has no ${platform} logistics company code; set it with PUT /v1/carriers/${input.carrierCode}/platform-codes`,
        );
      }
      const others = (await listOrderWritebacks(db, input.orderId)).filter((w) => w.id !== row.id);
      const earlier = others.filter((w) => w.status === 'sent').map((w) => ({ carrierCode: w.platform_carrier_code ?? w.carrier_code, trackingNo: w.tracking_no }));
      const lineIds = [...(input.lineIds ?? [])];
      const plan = planWriteback(platform, { split: input.split === true, lineIds, firstOfOrder: earlier.length === 0 });
      if ('error' in plan) return reject('channel_writeback_rejected', 'WritebackNotPossible', plan.error);

      const send = async (call: WritebackCall): Promise<{ body: string; answer: WritebackAnswer }> => {
        const notice: ShipmentNotice = {
          platformOrderId: input.platformOrderId,
          carrierCode: platformCarrierCode,
          trackingNo: input.trackingNo,
          call,
          ...(call === 'split' ? { lineIds } : {}),
          ...(call === 'additional' ? { earlier } : {}),
          requestId: `orderly-${row.id}`,
        };
        const body = await sendSigned(buildWritebackRequest(platform, notice, a.credentials, new Date()));
        return { body, answer: parseWritebackResponse(platform, body, call) };
      };
      const sent = async (call: WritebackCall, body: string, alreadyShipped: boolean): Promise<WriteBackShipmentResult> => {
        await finishWriteback(db, row.id, { status: 'sent', response: body, platformCarrierCode, call });
        logger.info({ orderId: input.orderId, trackingNo: input.trackingNo, call, alreadyShipped }, 'tracking number written back');
        return { status: 'sent', attempts: row.attempts + 1, call };
      };

      try {
        let call = plan.call;
        let { body, answer } = await send(call);
        if (answer.alreadyShipped) {
          const parcels = parseShipmentCheck(platform, await sendSigned(buildShipmentCheckRequest(platform, input.platformOrderId, a.credentials, new Date())));
          const verdict = judgeAlreadyShipped({ trackingNo: input.trackingNo, lineIds, parcels, ownTrackingNos: others.map((w) => w.tracking_no) });
          if (verdict.verdict === 'same') return await sent(call, body, true);
          if (verdict.verdict === 'conflict') {
            return await reject('channel_writeback_conflict', 'WritebackConflict', `${platform} has order ${input.platformOrderId} shipped with ${verdict.platformTrackingNos.join(', ') || 'no tracking number Orderly knows'}, not ${input.trackingNo}`, {
              platformTrackingNos: verdict.platformTrackingNos,
              answer: answer.message,
            });
          }
          // Shipped with this order's other packages only: this one is added the platform's way, if it has one.
          if (call !== 'whole' || SPLIT_SUPPORT[platform] !== 'additional') {
            return await reject('channel_writeback_rejected', 'WritebackNotPossible', `${platform} already has these lines of order ${input.platformOrderId} shipped with ${verdict.platformTrackingNos.join(', ')} and takes no further tracking number for them`, {
              platformTrackingNos: verdict.platformTrackingNos,
              answer: answer.message,
            });
          }
          call = 'additional';
          for (const t of verdict.platformTrackingNos) if (!earlier.some((e) => e.trackingNo === t)) earlier.push({ carrierCode: others.find((w) => w.tracking_no === t)?.platform_carrier_code ?? platformCarrierCode, trackingNo: t });
          ({ body, answer } = await send(call));
          if (answer.alreadyShipped) return await reject('channel_writeback_rejected', 'WritebackNotPossible', `${platform} refused the further tracking number: ${answer.message}`);
        }
        if (!answer.ok) throw new Error(`platform did not confirm the shipment: ${body.slice(0, 300)}`);
        return await sent(call, body, false);
      } catch (e) {
        if (e instanceof ApplicationFailure) throw e;
        const message = e instanceof Error ? e.message : String(e);
        if (isPermanentChannelError(e) || isWritebackRefusal(e)) return reject('channel_writeback_rejected', 'ChannelPermanentError', message);
        await failWritebackAttempt(db, row.id, message);
        throw e;
      }
    },
  };
}

export type ChannelActivities = ReturnType<typeof createChannelActivities>;
