import { canonicalOrderLoose, type CanonicalOrder, type Platform } from '../domain/order.js';
import type { OrderEvent, OrderProcessingOptions } from '../domain/order-events.js';
import { ChannelPayloadError, fenField, optId, optInt, optString, unixToUtc } from './common.js';
import { sendSigned } from './http.js';
import { connectorFor } from './index.js';
import type { ChannelEvent, ChannelConnector, MappedOrder, ShopCredentials } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An order event before the inbox gives it its id. */
export type PendingOrderEvent = DistributiveOmit<OrderEvent, 'eventId'>;

/**
 * A mapped platform order as the workflow takes it: structurally checked only (canonicalOrderLoose), so an
 * incomplete order (masked-away receiver, unknown SKU, amounts that do not add up) is kept and flagged by
 * the order workflow instead of being dropped here.
 */
export function looseOrder(mapped: MappedOrder): CanonicalOrder {
  const r = canonicalOrderLoose.safeParse(mapped.order);
  if (!r.success) {
    throw new ChannelPayloadError(`order ${mapped.order.platformOrderId} cannot be represented: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  // The loose schema has the canonical shape; only its refinements (checked later, by the workflow) differ.
  return r.data;
}

/** Fetches one order's full detail from the platform and maps it. */
export async function fetchPlatformOrder(platform: Platform, credentials: ShopCredentials, shopId: string, platformOrderId: string, now = new Date()): Promise<MappedOrder> {
  const c = connectorFor(platform);
  const body = await sendSigned(c.buildDetailRequest(platformOrderId, credentials, now));
  return c.mapOrder(c.parseDetail(body), { shopId });
}

/** The order event for a full order read from the platform: `created` the first time, `snapshot` afterwards. */
export function orderSnapshotEvent(type: 'created' | 'snapshot', mapped: MappedOrder, options: OrderProcessingOptions): PendingOrderEvent {
  return { type, order: looseOrder(mapped), platformState: mapped.state, options, ...(mapped.refundLineIds.length ? { refundingLineIds: [...mapped.refundLineIds] } : {}) };
}

/**
 * PDD shows an order to the seller only once it is paid and its group formed: its confirmation message is
 * the order's first appearance, so it is read in full and applied as `created` (the order carries paidAt).
 */
function announcesOrder(e: ChannelEvent): boolean {
  return e.type === 'paid' && e.topic === 'pdd_trade_TradeConfirmed';
}

/** Push events whose message carries ids only: the order's detail is read to build the event. */
export function needsDetail(e: ChannelEvent): boolean {
  return e.type === 'created' || e.type === 'address_changed' || e.type === 'amount_changed' || e.type === 'memo_changed' || announcesOrder(e);
}

function paidFields(e: ChannelEvent): { paidAt?: string; paidFen?: number } {
  // Douyin's TradePaid carries the time (unix s) and amount (fen); the others name the order only.
  const t = optInt(e.data, 'pay_time');
  const fen = e.topic === '101' ? fenField(e.data, 'pay_amount') : undefined;
  return { ...(t ? { paidAt: unixToUtc(t) } : {}), ...(fen !== undefined ? { paidFen: fen } : {}) };
}

/**
 * Turns a pushed channel event into the order event the workflow applies. `detail` is the order read from
 * the platform, required where `needsDetail` says so.
 */
export function pushOrderEvent(e: ChannelEvent, detail: MappedOrder | undefined, options: OrderProcessingOptions): PendingOrderEvent {
  const need = (): MappedOrder => {
    if (!detail) throw new Error(`${e.type} event of order ${e.platformOrderId} needs the order's detail`);
    return detail;
  };
  if (announcesOrder(e)) return orderSnapshotEvent('created', need(), options);
  switch (e.type) {
    case 'created':
      return orderSnapshotEvent('created', need(), options);
    case 'paid':
    case 'deposit_paid':
    case 'balance_paid':
      return { type: e.type, ...paidFields(e) };
    case 'address_changed':
      return { type: 'address_changed', receiver: looseOrder(need()).receiver };
    case 'amount_changed': {
      const o = looseOrder(need());
      return { type: 'amount_changed', amounts: o.amounts, lines: o.lines };
    }
    case 'memo_changed': {
      const o = looseOrder(need());
      return { type: 'memo_changed', ...(o.sellerMemo ? { sellerMemo: o.sellerMemo } : {}), ...(o.buyerRemark ? { buyerRemark: o.buyerRemark } : {}) };
    }
    case 'refund_requested':
    case 'refund_closed':
    case 'refunded': {
      const line = optId(e.data, 'oid');
      return { type: e.type, ...(line ? { lineIds: [line] } : {}) };
    }
    case 'cancelled': {
      const reason = optString(e.data, 'cancel_reason') ?? optString(e.data, 'reason');
      return { type: 'cancelled', reason: reason ?? `cancelled on the platform (${e.topic})` };
    }
    case 'shipped': {
      const trackingNo = optString(e.data, 'logistics_code') ?? optString(e.data, 'out_sid');
      const carrierCode = optString(e.data, 'company_code') ?? optString(e.data, 'company_name');
      return { type: 'shipped', ...(trackingNo ? { trackingNo } : {}), ...(carrierCode ? { carrierCode } : {}) };
    }
  }
}

export type { ChannelConnector };
