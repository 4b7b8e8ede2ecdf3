import { sql, type Selectable } from 'kysely';
import type { Carrier, CarrierRate, LogisticsClass, Sku, StockLevel, Warehouse } from '../domain/fulfilment/index.js';
import { localDay } from '../domain/local-day.js';
import type { Db } from './database.js';
import type { CarrierRow } from './fulfilment.schema.js';
import type { InventoryTable, SkusTable, WarehousesTable } from './schema.js';

// Master data the fulfilment planner reads: warehouses, SKUs, carriers and stock levels.

export type WarehouseRow = Selectable<WarehousesTable>;
export type SkuRow = Selectable<SkusTable>;
export type InventoryRow = Selectable<InventoryTable>;

/** node-postgres reads a `date` as local midnight; its local calendar fields are the stored day. */
function dayOf(d: string | Date): string {
  if (typeof d === 'string') return d.slice(0, 10);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The warehouse's load on its own calendar day at `now`: what it counted for another day is no load today. */
export function loadOn(r: Pick<WarehouseRow, 'current_load' | 'load_date' | 'time_zone'>, now: Date): number {
  return r.load_date !== null && dayOf(r.load_date) === localDay(now, r.time_zone) ? r.current_load : 0;
}

export function toDomainWarehouse(r: WarehouseRow, now: Date = new Date()): Warehouse {
  return {
    code: r.code,
    regionCode: r.region_code ?? '',
    location: { lat: r.lat ?? 0, lng: r.lng ?? 0 },
    active: r.active,
    priority: r.priority,
    dailyCapacity: r.daily_capacity,
    currentLoad: loadOn(r, now),
    regionsServed: r.regions_served,
  };
}

export function toDomainSku(r: SkuRow): Sku {
  return { code: r.code, weightG: r.weight_g, volumeCm3: r.volume_cm3, bulky: r.bulky, valueFen: r.value_fen, substitutes: r.substitutes };
}

export function toDomainCarrier(r: CarrierRow): Carrier {
  return {
    code: r.code,
    services: r.services,
    regionsCovered: r.regions_covered,
    minWeightG: r.min_weight_g,
    maxWeightG: r.max_weight_g,
    premium: r.premium,
    active: r.active,
    rates: r.rates as CarrierRate[],
  };
}

export async function listWarehouses(db: Db): Promise<WarehouseRow[]> {
  return db.selectFrom('warehouses').selectAll().orderBy('code').execute();
}

export async function findWarehouse(db: Db, code: string): Promise<WarehouseRow | undefined> {
  return db.selectFrom('warehouses').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function listSkus(db: Db, codes?: readonly string[]): Promise<SkuRow[]> {
  let q = db.selectFrom('skus').selectAll();
  if (codes) q = q.where('code', 'in', codes.length ? [...codes] : ['\u0000']);
  return q.orderBy('code').execute();
}

export async function findSku(db: Db, code: string): Promise<SkuRow | undefined> {
  return db.selectFrom('skus').selectAll().where('code', '=', code).executeTakeFirst();
}

export interface NewSku {
  code: string;
  name: string;
  weightG: number;
  volumeCm3: number;
  bulky: boolean;
  valueFen: number;
  substitutes: string[];
  /** For the review rules' `categories` fact; null or absent: none. */
  category?: string | null;
}

export type SkuPatch = Partial<Omit<NewSku, 'code'>>;

/** Inserts a SKU; undefined when its code is taken. */
export async function insertSku(db: Db, s: NewSku): Promise<SkuRow | undefined> {
  return db
    .insertInto('skus')
    .values({
      code: s.code,
      name: s.name,
      weight_g: s.weightG,
      volume_cm3: s.volumeCm3,
      bulky: s.bulky,
      value_fen: s.valueFen,
      substitutes: s.substitutes,
      category: s.category ?? null,
      updated_at: sql<Date>`now()`,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Changes the fields `p` names (Kysely leaves undefined ones out of the SET); undefined for an unknown SKU. */
export async function updateSku(db: Db, code: string, p: SkuPatch): Promise<SkuRow | undefined> {
  return db
    .updateTable('skus')
    .set({
      name: p.name,
      weight_g: p.weightG,
      volume_cm3: p.volumeCm3,
      bulky: p.bulky,
      value_fen: p.valueFen,
      substitutes: p.substitutes,
      category: p.category,
      updated_at: sql<Date>`now()`,
    })
    .where('code', '=', code)
    .returningAll()
    .executeTakeFirst();
}

export interface NewWarehouse {
  code: string;
  name: string;
  province: string;
  city: string;
  district: string;
  regionCode: string;
  lat: number;
  lng: number;
  active: boolean;
  priority: number;
  dailyCapacity: number;
  regionsServed: string[];
  /** IANA time zone whose calendar day the daily load counts. */
  timeZone: string;
}

export type WarehousePatch = Partial<Omit<NewWarehouse, 'code'>>;

/** Inserts a warehouse; undefined when its code is taken. */
export async function insertWarehouse(db: Db, w: NewWarehouse): Promise<WarehouseRow | undefined> {
  return db
    .insertInto('warehouses')
    .values({
      code: w.code,
      name: w.name,
      province: w.province,
      city: w.city,
      district: w.district,
      region_code: w.regionCode,
      lat: w.lat,
      lng: w.lng,
      active: w.active,
      priority: w.priority,
      daily_capacity: w.dailyCapacity,
      regions_served: w.regionsServed,
      time_zone: w.timeZone,
      updated_at: sql<Date>`now()`,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Changes the fields `p` names (Kysely leaves undefined ones out of the SET); undefined for an unknown warehouse. */
export async function updateWarehouse(db: Db, code: string, p: WarehousePatch): Promise<WarehouseRow | undefined> {
  return db
    .updateTable('warehouses')
    .set({
      name: p.name,
      province: p.province,
      city: p.city,
      district: p.district,
      region_code: p.regionCode,
      lat: p.lat,
      lng: p.lng,
      active: p.active,
      priority: p.priority,
      daily_capacity: p.dailyCapacity,
      regions_served: p.regionsServed,
      time_zone: p.timeZone,
      updated_at: sql<Date>`now()`,
    })
    .where('code', '=', code)
    .returningAll()
    .executeTakeFirst();
}

export interface NewCarrier {
  code: string;
  name: string;
  services: LogisticsClass[];
  regionsCovered: string[];
  minWeightG: number;
  maxWeightG: number;
  premium: boolean;
  active: boolean;
  rates: readonly CarrierRate[];
}

export type CarrierPatch = Partial<Omit<NewCarrier, 'code'>>;

/** Inserts a carrier; undefined when its code is taken. */
export async function insertCarrier(db: Db, c: NewCarrier): Promise<CarrierRow | undefined> {
  return db
    .insertInto('carriers')
    .values({
      code: c.code,
      name: c.name,
      services: c.services,
      regions_covered: c.regionsCovered,
      min_weight_g: c.minWeightG,
      max_weight_g: c.maxWeightG,
      premium: c.premium,
      active: c.active,
      rates: JSON.stringify(c.rates),
      updated_at: sql<Date>`now()`,
    })
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Changes the fields `p` names (Kysely leaves undefined ones out of the SET); undefined for an unknown carrier. */
export async function updateCarrier(db: Db, code: string, p: CarrierPatch): Promise<CarrierRow | undefined> {
  return db
    .updateTable('carriers')
    .set({
      name: p.name,
      services: p.services,
      regions_covered: p.regionsCovered,
      min_weight_g: p.minWeightG,
      max_weight_g: p.maxWeightG,
      premium: p.premium,
      active: p.active,
      rates: p.rates === undefined ? undefined : JSON.stringify(p.rates),
      updated_at: sql<Date>`now()`,
    })
    .where('code', '=', code)
    .returningAll()
    .executeTakeFirst();
}

export async function listCarriers(db: Db): Promise<CarrierRow[]> {
  return db.selectFrom('carriers').selectAll().orderBy('code').execute();
}

export async function findCarrier(db: Db, code: string): Promise<CarrierRow | undefined> {
  return db.selectFrom('carriers').selectAll().where('code', '=', code).executeTakeFirst();
}

/** Available stock (on hand minus reserved) of the given SKUs in every warehouse. */
export async function stockLevels(db: Db, skuCodes: readonly string[]): Promise<StockLevel[]> {
  if (skuCodes.length === 0) return [];
  const rows = await db
    .selectFrom('inventory')
    .select(['warehouse_code', 'sku_code', 'on_hand', 'reserved'])
    .where('sku_code', 'in', [...skuCodes])
    .execute();
  return rows.map((r) => ({ warehouseCode: r.warehouse_code, skuCode: r.sku_code, available: r.on_hand - r.reserved }));
}

export async function listInventory(db: Db, filter: { warehouseCode?: string | undefined; skuCode?: string | undefined }): Promise<InventoryRow[]> {
  let q = db.selectFrom('inventory').selectAll();
  if (filter.warehouseCode) q = q.where('warehouse_code', '=', filter.warehouseCode);
  if (filter.skuCode) q = q.where('sku_code', '=', filter.skuCode);
  return q.orderBy('warehouse_code').orderBy('sku_code').execute();
}

export async function findInventory(db: Db, warehouseCode: string, skuCode: string): Promise<InventoryRow | undefined> {
  return db.selectFrom('inventory').selectAll().where('warehouse_code', '=', warehouseCode).where('sku_code', '=', skuCode).executeTakeFirst();
}

export type AdjustResult =
  | { ok: true; row: InventoryRow; adjustmentId: number; adjustedAt: Date }
  | { ok: false; reason: 'below_reserved' | 'negative'; onHand: number; reserved: number };

/**
 * Changes on-hand stock by `delta` and records why, in one transaction. Refuses to take on hand below what
 * is reserved: those units are promised to orders.
 */
export async function adjustInventory(
  db: Db,
  a: { warehouseCode: string; skuCode: string; delta: number; reason: string; reference?: string | undefined },
): Promise<AdjustResult> {
  return db.transaction().execute(async (tx) => {
    await tx
      .insertInto('inventory')
      .values({ warehouse_code: a.warehouseCode, sku_code: a.skuCode, on_hand: 0, reserved: 0, updated_at: sql<Date>`now()` })
      .onConflict((oc) => oc.columns(['warehouse_code', 'sku_code']).doNothing())
      .execute();
    const current = await tx
      .selectFrom('inventory')
      .selectAll()
      .where('warehouse_code', '=', a.warehouseCode)
      .where('sku_code', '=', a.skuCode)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const next = current.on_hand + a.delta;
    if (next < 0) return { ok: false as const, reason: 'negative' as const, onHand: current.on_hand, reserved: current.reserved };
    if (next < current.reserved) return { ok: false as const, reason: 'below_reserved' as const, onHand: current.on_hand, reserved: current.reserved };
    const row = await tx
      .updateTable('inventory')
      .set({ on_hand: next, updated_at: sql<Date>`now()` })
      .where('warehouse_code', '=', a.warehouseCode)
      .where('sku_code', '=', a.skuCode)
      .returningAll()
      .executeTakeFirstOrThrow();
    const adj = await tx
      .insertInto('inventory_adjustments')
      .values({ warehouse_code: a.warehouseCode, sku_code: a.skuCode, delta: a.delta, on_hand_after: next, reason: a.reason, reference: a.reference ?? null })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    return { ok: true as const, row, adjustmentId: adj.id, adjustedAt: adj.created_at };
  });
}

export async function listAdjustments(db: Db, warehouseCode: string, skuCode: string, limit = 100) {
  return db
    .selectFrom('inventory_adjustments')
    .selectAll()
    .where('warehouse_code', '=', warehouseCode)
    .where('sku_code', '=', skuCode)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export interface LoadCount {
  orderId: string;
  /** The plan attempt the reservation confirmed: a retry of the same attempt counts nothing again. */
  attempt: number;
  /** Warehouses the order ships from. */
  warehouseCodes: readonly string[];
  /** When the allocation succeeded: its calendar day in each warehouse's zone is the day counted. */
  at: Date;
}

/**
 * Counts an order against the daily capacity of each warehouse it was allocated to, on the warehouse's
 * local calendar day at `c.at`. Once per (order, warehouse, attempt): the `warehouse_load` row is the proof,
 * and `current_load` moves in the same transaction. Warehouses are updated in code order, so two orders
 * never deadlock. Returns the warehouses counted now, each with its day.
 */
export async function countWarehouseLoad(db: Db, c: LoadCount): Promise<Array<{ warehouseCode: string; day: string }>> {
  const codes = [...new Set(c.warehouseCodes)].sort();
  if (codes.length === 0) return [];
  return db.transaction().execute(async (tx) => {
    const zones = await tx.selectFrom('warehouses').select(['code', 'time_zone']).where('code', 'in', codes).orderBy('code').execute();
    const counted: Array<{ warehouseCode: string; day: string }> = [];
    for (const w of zones) {
      const day = localDay(c.at, w.time_zone);
      const row = await tx
        .insertInto('warehouse_load')
        .values({ order_id: c.orderId, warehouse_code: w.code, attempt: c.attempt, local_day: day })
        .onConflict((oc) => oc.columns(['order_id', 'warehouse_code', 'attempt']).doNothing())
        .returning('warehouse_code')
        .executeTakeFirst();
      if (!row) continue;
      // A new day starts the counter again. A day older than the stored one (a clock behind another's around
      // midnight) is recorded on its row but leaves today's counter alone.
      await tx
        .updateTable('warehouses')
        .set({
          current_load: sql<number>`case when load_date = ${day}::date then current_load + 1 when load_date is null or load_date < ${day}::date then 1 else current_load end`,
          load_date: sql<string>`greatest(load_date, ${day}::date)`,
        })
        .where('code', '=', w.code)
        .execute();
      counted.push({ warehouseCode: w.code, day });
    }
    return counted;
  });
}

/**
 * Gives back the load an order counted at warehouses its parcels never reached: the order was cancelled (or
 * re-planned) before its package there was released to the warehouse. Where a package of the order was
 * released, the warehouse has had the work (picking, or an interception), so the load stays. Idempotent:
 * released rows stay released. Returns how many rows were released.
 */
export async function releaseWarehouseLoad(db: Db, orderId: string): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const rows = await tx
      .updateTable('warehouse_load')
      .set({ released_at: sql<Date>`now()` })
      .where('order_id', '=', orderId)
      .where('released_at', 'is', null)
      .where('warehouse_code', 'not in', (eb) =>
        eb
          .selectFrom('package_members as m')
          .innerJoin('packages as p', 'p.id', 'm.package_id')
          .select('p.warehouse_code')
          .where('m.order_id', '=', orderId)
          .where('m.status', '<>', 'left')
          .where('p.released_at', 'is not', null),
      )
      .returning(['warehouse_code', 'local_day'])
      .execute();
    for (const r of [...rows].sort((a, b) => a.warehouse_code.localeCompare(b.warehouse_code))) {
      // Only the day the counter still holds: a count of an earlier day has already been left behind.
      await tx
        .updateTable('warehouses')
        .set({ current_load: sql<number>`greatest(current_load - 1, 0)` })
        .where('code', '=', r.warehouse_code)
        .where('load_date', '=', dayOf(r.local_day))
        .execute();
    }
    return rows.length;
  });
}
