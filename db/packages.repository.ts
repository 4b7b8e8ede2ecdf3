import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { FieldCipher } from '../domain/buyer-data.js';
import type { LogisticsClass, PackageLine } from '../domain/fulfilment/index.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { OrderCarrierRules } from '../domain/fulfilment/carrier.js';
import type { Db } from './database.js';
import type { PackageMemberRow, PackageRow, PackageStatus } from './fulfilment.schema.js';
import { isUniqueViolation } from './pg-errors.js';

export interface JoinRequest {
  orderId: string;
  /** The order's planned package (`<orderId>:<warehouse>:<class>`). */
  packageKey: string;
  /** Null when the order may never share a package: it gets one of its own, sealed at once. */
  mergeKey: string | null;
  shopId: string;
  warehouseCode: string;
  logisticsClass: LogisticsClass;
  destinationRegionCode: string;
  lines: readonly PackageLine[];
  weightG: number;
  valueFen: number;
  /** The hold window of a package this call opens (a package joined keeps its own window). */
  holdWindowMs: number;
  /**
   * Set when the window depends on the buyer: a package this call opens then waits `holdWindowMs` only if
   * another order of the same shop and buyer is in one of `openStatuses` (it could still join), and is
   * sealed at once otherwise. Looked up only when a package is opened, under the same transaction.
   */
  holdOnlyForBuyer?: { buyerKey: string; openStatuses: readonly OrderStatus[] };
  /** The order's carrier rules, honoured when the package's carrier is chosen at release. */
  carrierRules?: MemberCarrierRules;
}

/** What one member order's rules say about its package's carrier. */
export type MemberCarrierRules = OrderCarrierRules;

export interface JoinResult {
  packageId: string;
  windowEnd: Date;
  /** This call opened the package (the caller starts its workflow either way, by signal-with-start). */
  opened: boolean;
  /** The planned package was already a member (a retried activity). */
  alreadyMember: boolean;
  /** Orders already in the package when this one joined (the merge it made). */
  joinedOrders: string[];
  /**
   * With `holdOnlyForBuyer`, when this call opened the package: the buyer's other open orders in the shop
   * (at most 10) that made it wait; empty when it was sealed at once. Undefined otherwise.
   */
  buyerOpenOrders?: string[];
}

function newPackageId(): string {
  return `pk-${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

/**
 * A merge key names the buyer's street (when the platform gives no address id): `packages.merge_key` keeps
 * its keyed digest (domain/buyer-data.ts), found by the digests under every key of the ring, so a package
 * opened before a key rotation is still joined after it.
 */
export const MERGE_KEY_FIELD = 'packages.merge_key';

/**
 * Puts a planned package into the open package of its merge key, opening one when there is none. The open
 * package's row is locked while the member is added and sealing takes the same lock, so a member is either in
 * the package when it is sealed or finds it sealed and opens a new one: never lost between the two.
 */
export async function joinPackage(db: Db, cipher: FieldCipher, r: JoinRequest): Promise<JoinResult> {
  const mergeDigests = r.mergeKey === null ? [] : cipher.digests(MERGE_KEY_FIELD, r.mergeKey);
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute(async (tx) => {
        const existing = await tx
          .selectFrom('package_members as m')
          .innerJoin('packages as p', 'p.id', 'm.package_id')
          .select(['p.id', 'p.window_end'])
          .where('m.order_id', '=', r.orderId)
          .where('m.package_key', '=', r.packageKey)
          .where('m.status', '<>', 'left')
          .executeTakeFirst();
        const others = async (packageId: string) =>
          (
            await tx
              .selectFrom('package_members')
              .select('order_id')
              .where('package_id', '=', packageId)
              .where('status', '<>', 'left')
              .where('order_id', '<>', r.orderId)
              .orderBy('joined_at')
              .execute()
          ).map((m) => m.order_id);
        if (existing) return { packageId: existing.id, windowEnd: existing.window_end, opened: false, alreadyMember: true, joinedOrders: await others(existing.id) };

        let pkg: { id: string; window_end: Date } | undefined;
        if (r.mergeKey !== null) {
          pkg = await tx
            .selectFrom('packages')
            .select(['id', 'window_end'])
            .where('merge_key', 'in', mergeDigests)
            .where('status', '=', 'open')
            .forUpdate()
            .executeTakeFirst();
        }
        let opened = false;
        let buyerOpenOrders: string[] | undefined;
        if (!pkg) {
          let windowMs = r.mergeKey === null ? 0 : r.holdWindowMs;
          if (r.mergeKey !== null && r.holdOnlyForBuyer && windowMs > 0) {
            buyerOpenOrders = (
              await tx
                .selectFrom('orders')
                .select('id')
                .where('shop_id', '=', r.shopId)
                .where('buyer_key', '=', r.holdOnlyForBuyer.buyerKey)
                .where('id', '<>', r.orderId)
                .where('status', 'in', [...r.holdOnlyForBuyer.openStatuses])
                .orderBy('id')
                .limit(10)
                .execute()
            ).map((o) => o.id);
            if (buyerOpenOrders.length === 0) windowMs = 0;
          }
          const now = Date.now();
          pkg = await tx
            .insertInto('packages')
            .values({
              id: newPackageId(),
              merge_key: mergeDigests[0] ?? `solo:${r.packageKey}`,
              shop_id: r.shopId,
              warehouse_code: r.warehouseCode,
              logistics_class: r.logisticsClass,
              destination_region_code: r.destinationRegionCode,
              window_start: new Date(now),
              window_end: new Date(now + windowMs),
              updated_at: sql<Date>`now()`,
            })
            .returning(['id', 'window_end'])
            .executeTakeFirstOrThrow();
          opened = true;
        }
        const joinedOrders = opened ? [] : await others(pkg.id);
        await tx
          .insertInto('package_members')
          .values({
            package_id: pkg.id,
            order_id: r.orderId,
            package_key: r.packageKey,
            lines: JSON.stringify(r.lines),
            weight_g: r.weightG,
            value_fen: r.valueFen,
            carrier_rules: r.carrierRules ? JSON.stringify(r.carrierRules) : null,
          })
          .execute();
        return { packageId: pkg.id, windowEnd: pkg.window_end, opened, alreadyMember: false, joinedOrders, ...(buyerOpenOrders ? { buyerOpenOrders } : {}) };
      });
    } catch (e) {
      // Another order opened the package for this key at the same moment: join that one instead.
      if (isUniqueViolation(e) && attempt < 5) continue;
      throw e;
    }
  }
}

export interface LeaveOutcome {
  packageId: string;
  packageKey: string;
  /**
   * `left`: removed while the package was open (unmerged) or after it failed or was stopped; `intercept`:
   * the package is with the warehouse, interception requested.
   */
  outcome: 'left' | 'intercept' | 'shipped';
  warehouseCode: string;
  lines: PackageLine[];
}

/**
 * Takes an order out of its packages: removed while a package is still open (or failed, or stopped),
 * otherwise marked for interception. Idempotent: a member already out stays out, one already marked stays marked.
 */
export async function leavePackages(db: Db, orderId: string): Promise<LeaveOutcome[]> {
  return db.transaction().execute(async (tx) => {
    const members = await tx
      .selectFrom('package_members')
      .select(['package_id', 'package_key', 'status', 'lines'])
      .where('order_id', '=', orderId)
      .where('status', '<>', 'left')
      .orderBy('package_id')
      .execute();
    const out: LeaveOutcome[] = [];
    for (const m of members) {
      const pkg = await tx.selectFrom('packages').select(['id', 'status', 'warehouse_code']).where('id', '=', m.package_id).forUpdate().executeTakeFirstOrThrow();
      const lines = m.lines as PackageLine[];
      // Open: it leaves. Failed, cancelled or intercepted: the goods never left the warehouse, so there is
      // nothing to intercept and it leaves too.
      if (pkg.status === 'open' || pkg.status === 'failed' || pkg.status === 'cancelled' || pkg.status === 'intercepted') {
        await tx
          .updateTable('package_members')
          .set({ status: 'left', left_at: sql<Date>`now()` })
          .where('package_id', '=', m.package_id)
          .where('order_id', '=', orderId)
          .where('package_key', '=', m.package_key)
          .execute();
        out.push({ packageId: pkg.id, packageKey: m.package_key, outcome: 'left', warehouseCode: pkg.warehouse_code, lines });
        continue;
      }
      if (pkg.status === 'shipped') {
        out.push({ packageId: pkg.id, packageKey: m.package_key, outcome: 'shipped', warehouseCode: pkg.warehouse_code, lines });
        continue;
      }
      await tx
        .updateTable('package_members')
        .set({ status: 'intercept_requested' })
        .where('package_id', '=', m.package_id)
        .where('order_id', '=', orderId)
        .where('package_key', '=', m.package_key)
        .execute();
      await tx
        .updateTable('packages')
        .set({ intercept_requested_at: sql<Date>`coalesce(intercept_requested_at, now())`, updated_at: sql<Date>`now()` })
        .where('id', '=', pkg.id)
        .execute();
      out.push({ packageId: pkg.id, packageKey: m.package_key, outcome: 'intercept', warehouseCode: pkg.warehouse_code, lines });
    }
    return out;
  });
}

/**
 * Seals an open package and returns its members at that instant. Idempotent: sealing a sealed package
 * returns the same members. A package whose members all left is cancelled instead.
 */
export async function sealPackage(db: Db, packageId: string): Promise<{ status: PackageStatus; members: PackageMemberRow[] }> {
  return db.transaction().execute(async (tx) => {
    const pkg = await tx.selectFrom('packages').select(['status']).where('id', '=', packageId).forUpdate().executeTakeFirst();
    if (!pkg) throw new Error(`unknown package ${packageId}`);
    const members = await tx
      .selectFrom('package_members')
      .selectAll()
      .where('package_id', '=', packageId)
      .where('status', '<>', 'left')
      .orderBy('joined_at')
      .orderBy('order_id')
      .execute();
    if (pkg.status !== 'open') return { status: pkg.status, members };
    const status: PackageStatus = members.length === 0 ? 'cancelled' : 'sealed';
    await tx
      .updateTable('packages')
      .set({ status, sealed_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('id', '=', packageId)
      .execute();
    return { status, members };
  });
}

/** Moves a package forward (released, picked, shipped, failed, intercepted); never backwards, so a retried write is harmless. */
export async function advancePackage(
  db: Db,
  packageId: string,
  to: Extract<PackageStatus, 'released' | 'picked' | 'shipped' | 'failed' | 'intercepted'>,
  detail: { carrierCode?: string | null; trackingNo?: string; failureReason?: string } = {},
): Promise<boolean> {
  const from: Record<typeof to, PackageStatus[]> = {
    released: ['sealed'],
    picked: ['released'],
    shipped: ['released', 'picked'],
    failed: ['sealed', 'released', 'picked'],
    intercepted: ['sealed', 'released', 'picked'],
  };
  const stamp = { released: 'released_at', picked: 'picked_at', shipped: 'shipped_at', failed: 'updated_at', intercepted: 'intercepted_at' } as const;
  const row = await db
    .updateTable('packages')
    .set({
      status: to,
      [stamp[to]]: sql<Date>`now()`,
      ...(detail.carrierCode !== undefined ? { carrier_code: detail.carrierCode } : {}),
      ...(detail.trackingNo !== undefined ? { tracking_no: detail.trackingNo } : {}),
      ...(detail.failureReason !== undefined ? { failure_reason: detail.failureReason } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', packageId)
    .where('status', 'in', from[to])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function findPackage(db: Db, id: string): Promise<{ pkg: PackageRow; members: PackageMemberRow[] } | undefined> {
  const pkg = await db.selectFrom('packages').selectAll().where('id', '=', id).executeTakeFirst();
  if (!pkg) return undefined;
  const members = await db.selectFrom('package_members').selectAll().where('package_id', '=', id).orderBy('joined_at').orderBy('order_id').execute();
  return { pkg, members };
}

export interface PackageListQuery {
  status?: PackageStatus;
  warehouseCode?: string;
  limit: number;
  /** The id of the last package of the previous page. */
  after?: string;
}

export interface PackageListPage {
  items: Array<PackageRow & { member_order_ids: string[] }>;
  /** Null on the last page. */
  nextCursor: string | null;
}

/**
 * Packages oldest first by (created_at, id): a warehouse works its queue from the front, and a keyset on
 * that pair stays stable while new packages are appended behind it (offsets would shift under a poller as
 * earlier packages leave the `released` filter). The cursor is the last row's id, and the comparison reads
 * that row's created_at in SQL so microseconds are compared as stored, not as rounded by a JS Date.
 * Returns undefined when the cursor names no package.
 */
export async function listPackages(db: Db, q: PackageListQuery): Promise<PackageListPage | undefined> {
  let query = db.selectFrom('packages').selectAll();
  if (q.after !== undefined) {
    const anchor = await db.selectFrom('packages').select('id').where('id', '=', q.after).executeTakeFirst();
    if (!anchor) return undefined;
    query = query.where((eb) =>
      eb(eb.refTuple('created_at', 'id'), '>', eb.selectFrom('packages as c').select(['c.created_at', 'c.id']).where('c.id', '=', q.after!).$asTuple('created_at', 'id')),
    );
  }
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  if (q.warehouseCode !== undefined) query = query.where('warehouse_code', '=', q.warehouseCode);
  // One row more than asked says whether there is a next page without a count.
  const rows = await query.orderBy('created_at').orderBy('id').limit(q.limit + 1).execute();
  const page = rows.slice(0, q.limit);
  const members = page.length
    ? await db.selectFrom('package_members').select(['package_id', 'order_id']).where('package_id', 'in', page.map((p) => p.id)).where('status', '<>', 'left').orderBy('joined_at').orderBy('order_id').execute()
    : [];
  const byPackage = new Map<string, string[]>();
  for (const m of members) {
    const list = byPackage.get(m.package_id) ?? [];
    if (!list.includes(m.order_id)) list.push(m.order_id);
    byPackage.set(m.package_id, list);
  }
  return {
    items: page.map((p) => ({ ...p, member_order_ids: byPackage.get(p.id) ?? [] })),
    nextCursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
  };
}

/**
 * Asks for the order's parcels among `packageIds` back from the warehouse, leaving the order in them (it
 * changed after release; a person decides what follows). Only parcels with the warehouse (sealed, released,
 * picked) can be intercepted; returns those marked. Idempotent: a member already marked stays marked.
 */
export async function markInterceptionRequested(db: Db, orderId: string, packageIds: readonly string[]): Promise<string[]> {
  if (packageIds.length === 0) return [];
  return db.transaction().execute(async (tx) => {
    const marked: string[] = [];
    for (const id of [...packageIds].sort()) {
      const pkg = await tx.selectFrom('packages').select(['id', 'status']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!pkg || !['sealed', 'released', 'picked'].includes(pkg.status)) continue;
      const updated = await tx
        .updateTable('package_members')
        .set({ status: 'intercept_requested' })
        .where('package_id', '=', id)
        .where('order_id', '=', orderId)
        .where('status', 'in', ['joined', 'intercept_requested'])
        .returning('package_id')
        .execute();
      if (updated.length === 0) continue;
      await tx
        .updateTable('packages')
        .set({ intercept_requested_at: sql<Date>`coalesce(intercept_requested_at, now())`, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .execute();
      marked.push(id);
    }
    return marked;
  });
}
