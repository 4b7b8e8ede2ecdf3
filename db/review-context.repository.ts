import { sql } from 'kysely';
import { NO_CUSTOMER_FACTS, type CustomerFacts } from '../domain/customer.js';
import type { Platform } from '../domain/order.js';
import type { ReviewContext } from '../domain/rules/order-facts.js';
import type { Db } from './database.js';

// What a review reads besides the order: the buyer's customer record, the SKUs' categories and free stock.
// Read for many orders at once (a dry run over a period) in a fixed number of queries, whatever their number.

/** One order as the review context needs it. */
export interface ReviewContextRequest {
  readonly platform: Platform;
  readonly buyerKey: string;
  /** The SKU codes of the order's lines (repeats allowed). */
  readonly skuCodes: readonly string[];
  /**
   * The lines with their quantities, for the stock check. Without them each code in `skuCodes` counts as one
   * unit, which only says whether the SKU is in stock at all.
   */
  readonly lines?: readonly { readonly skuCode: string; readonly quantity: number }[];
}

/** A `ReviewContext` less what the caller gives (the instant of the review and the rule set's settings). */
export type ReviewContextData = Pick<ReviewContext, 'customer' | 'categories' | 'stockSufficient'>;

/** Quantity wanted per SKU code. */
function wanted(o: ReviewContextRequest): Map<string, number> {
  const m = new Map<string, number>();
  const lines = o.lines ?? o.skuCodes.map((skuCode) => ({ skuCode, quantity: 1 }));
  for (const l of lines) if (l.skuCode !== '') m.set(l.skuCode, (m.get(l.skuCode) ?? 0) + l.quantity);
  return m;
}

/**
 * The review context of each order, in the orders' order: the customer's facts (`NO_CUSTOMER_FACTS` for a buyer
 * the seller has not recorded), the category of each SKU that has one, and whether the free stock (on hand less
 * reserved, summed over active warehouses) covers the quantity the order wants of every SKU. Without any active
 * warehouse stock is not managed here, and it is taken as sufficient. Four queries, however many orders.
 *
 * Stock is what is free now: reading it for a past order (a dry run) does not give the stock it was reviewed with.
 */
export async function loadReviewContexts(db: Db, orders: readonly ReviewContextRequest[]): Promise<ReviewContextData[]> {
  if (orders.length === 0) return [];
  const wants = orders.map(wanted);
  const skuCodes = [...new Set(wants.flatMap((w) => [...w.keys()]))];
  const buyers = new Map<string, { platform: Platform; buyerKey: string }>();
  for (const o of orders) buyers.set(JSON.stringify([o.platform, o.buyerKey]), { platform: o.platform, buyerKey: o.buyerKey });
  const keys = [...buyers.values()];

  // Arrays, not lists of parameters: a period of 50,000 orders would pass PostgreSQL's 65,535 parameters.
  const [customers, skus, stock, managed] = await Promise.all([
    keys.length
      ? db
          .selectFrom('customers')
          .select(['platform', 'buyer_key', 'vip_level', 'blacklisted', 'tags'])
          .where(
            sql<boolean>`(platform, buyer_key) in (select * from unnest(${keys.map((k) => k.platform)}::text[], ${keys.map((k) => k.buyerKey)}::text[]))`,
          )
          .execute()
      : Promise.resolve([]),
    skuCodes.length
      ? db
          .selectFrom('skus')
          .select(['code', 'category'])
          .where(sql<boolean>`code = any(${skuCodes}::text[])`)
          .where('category', 'is not', null)
          .execute()
      : Promise.resolve([]),
    skuCodes.length
      ? db
          .selectFrom('inventory as i')
          .innerJoin('warehouses as w', 'w.code', 'i.warehouse_code')
          .select(['i.sku_code', sql<number>`sum(i.on_hand - i.reserved)::int8`.as('free')])
          .where('w.active', '=', true)
          .where(sql<boolean>`i.sku_code = any(${skuCodes}::text[])`)
          .groupBy('i.sku_code')
          .execute()
      : Promise.resolve([]),
    db.selectFrom('warehouses').select('code').where('active', '=', true).limit(1).executeTakeFirst(),
  ]);

  const customerFacts = new Map<string, CustomerFacts>(
    customers.map((c) => [JSON.stringify([c.platform, c.buyer_key]), { vipLevel: c.vip_level, blacklisted: c.blacklisted, tags: c.tags }]),
  );
  const categories = new Map<string, string>();
  for (const s of skus) if (s.category !== null) categories.set(s.code, s.category);
  const free = new Map(stock.map((s) => [s.sku_code, Number(s.free)]));

  return orders.map((o, i) => {
    const want = wants[i]!;
    const own = new Map<string, string>();
    for (const code of want.keys()) {
      const c = categories.get(code);
      if (c !== undefined) own.set(code, c);
    }
    return {
      customer: customerFacts.get(JSON.stringify([o.platform, o.buyerKey])) ?? NO_CUSTOMER_FACTS,
      categories: own,
      stockSufficient: managed === undefined || [...want].every(([code, n]) => (free.get(code) ?? 0) >= n),
    };
  });
}

/** A stored order as the read model keeps it: the canonical order is in `order`, not yet parsed. */
export interface StoredOrderDocument {
  readonly id: string;
  readonly order: unknown;
}

/**
 * The stored orders the platform created in [from, to), oldest first, at most `limit`; `truncated` says there
 * were more.
 */
export async function ordersCreatedBetween(db: Db, q: { from: string; to: string; limit: number }): Promise<{ orders: StoredOrderDocument[]; truncated: boolean }> {
  const rows = await db
    .selectFrom('orders')
    .select(['id', 'order'])
    .where('platform_created_at', '>=', new Date(q.from))
    .where('platform_created_at', '<', new Date(q.to))
    .orderBy('platform_created_at')
    .orderBy('id')
    .limit(q.limit + 1)
    .execute();
  return { orders: rows.slice(0, q.limit).map((r) => ({ id: r.id, order: r.order })), truncated: rows.length > q.limit };
}
