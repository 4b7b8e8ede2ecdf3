import { sql, type Selectable } from 'kysely';
import { NO_CUSTOMER_FACTS, type Customer, type CustomerFacts, type CustomerKey } from '../domain/customer.js';
import type { Platform } from '../domain/order.js';
import type { Db } from './database.js';
import type { CustomersTable } from './schema.js';

export type CustomerRow = Selectable<CustomersTable>;

/** A customer as stored, with when it was first and last written. */
export type StoredCustomer = Customer & { createdAt: Date; updatedAt: Date };

function fromRow(r: CustomerRow): StoredCustomer {
  return {
    platform: r.platform,
    buyerKey: r.buyer_key,
    vipLevel: r.vip_level,
    blacklisted: r.blacklisted,
    ...(r.blacklist_reason !== null ? { blacklistReason: r.blacklist_reason } : {}),
    tags: r.tags,
    ...(r.note !== null ? { note: r.note } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Creates the customer or replaces it as a whole (fields left out are cleared); `created_at` survives a
 * replacement.
 */
export async function upsertCustomer(db: Db, c: Customer): Promise<StoredCustomer> {
  const row = await db
    .insertInto('customers')
    .values({
      platform: c.platform,
      buyer_key: c.buyerKey,
      vip_level: c.vipLevel,
      blacklisted: c.blacklisted,
      blacklist_reason: c.blacklistReason ?? null,
      tags: c.tags,
      note: c.note ?? null,
    })
    .onConflict((oc) =>
      oc.columns(['platform', 'buyer_key']).doUpdateSet((eb) => ({
        vip_level: eb.ref('excluded.vip_level'),
        blacklisted: eb.ref('excluded.blacklisted'),
        blacklist_reason: eb.ref('excluded.blacklist_reason'),
        tags: eb.ref('excluded.tags'),
        note: eb.ref('excluded.note'),
        updated_at: sql<Date>`now()`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return fromRow(row);
}

export async function getCustomer(db: Db, platform: Platform, buyerKey: string): Promise<StoredCustomer | undefined> {
  const row = await db.selectFrom('customers').selectAll().where('platform', '=', platform).where('buyer_key', '=', buyerKey).executeTakeFirst();
  return row && fromRow(row);
}

/** Deletes the customer; false when there was none. */
export async function deleteCustomer(db: Db, platform: Platform, buyerKey: string): Promise<boolean> {
  const r = await db.deleteFrom('customers').where('platform', '=', platform).where('buyer_key', '=', buyerKey).executeTakeFirst();
  return r.numDeletedRows > 0n;
}

export interface CustomerListQuery {
  platform?: Platform;
  blacklisted?: boolean;
  /** Only customers of at least this VIP level. */
  minVipLevel?: number;
  /** Only customers carrying this tag. */
  tag?: string;
  limit: number;
  /** The key of the last customer of the previous page. */
  after?: CustomerKey;
}

export interface CustomerPage {
  items: StoredCustomer[];
  /** The key to pass as `after` for the next page; null on the last. */
  next: CustomerKey | null;
}

/**
 * Customers by (platform, buyer_key), paged by a keyset on that key: the key of the previous page's last row
 * is enough (it need not exist any more), and writes between pages shift nothing.
 */
export async function listCustomers(db: Db, q: CustomerListQuery): Promise<CustomerPage> {
  let query = db.selectFrom('customers').selectAll();
  if (q.platform !== undefined) query = query.where('platform', '=', q.platform);
  if (q.blacklisted !== undefined) query = query.where('blacklisted', '=', q.blacklisted);
  if (q.minVipLevel !== undefined) query = query.where('vip_level', '>=', q.minVipLevel);
  if (q.tag !== undefined) query = query.where(sql<boolean>`tags @> array[${q.tag}]::text[]`);
  if (q.after !== undefined) {
    const after = q.after;
    query = query.where((eb) => eb(eb.refTuple('platform', 'buyer_key'), '>', eb.tuple(after.platform, after.buyerKey)));
  }
  // One row more than asked says whether there is a next page without a count.
  const rows = await query.orderBy('platform').orderBy('buyer_key').limit(q.limit + 1).execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(fromRow),
    next: rows.length > q.limit && last ? { platform: last.platform, buyerKey: last.buyer_key } : null,
  };
}

/** What the review rules know of a buyer; `NO_CUSTOMER_FACTS` for a buyer the seller has not recorded. */
export async function customerFactsFor(db: Db, platform: Platform, buyerKey: string): Promise<CustomerFacts> {
  const row = await db
    .selectFrom('customers')
    .select(['vip_level', 'blacklisted', 'tags'])
    .where('platform', '=', platform)
    .where('buyer_key', '=', buyerKey)
    .executeTakeFirst();
  return row ? { vipLevel: row.vip_level, blacklisted: row.blacklisted, tags: row.tags } : NO_CUSTOMER_FACTS;
}
