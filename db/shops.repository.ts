import { sql, type Selectable } from 'kysely';
import type { Platform } from '../domain/order.js';
import type { ShopChannelColumns, ShopChannelTables, SyncMode } from './channels.schema.js';
import type { Db } from './database.js';
import type { ShopsTable } from './schema.js';

export type ShopRow = Selectable<ShopsTable> & Selectable<ShopChannelColumns>;

/** `shops` with the columns the channels migration added. */
function shopsDb(db: Db) {
  return db.withTables<ShopChannelTables>();
}

export interface NewShop {
  id: string;
  platform: Platform;
  name: string;
  active?: boolean;
  credentialsEnc: string | null;
  credentialsHint: string | null;
  apiBaseUrl: string | null;
  syncMode: SyncMode;
  pullIntervalS: number;
  pullLagS: number | null;
  pullOverlapS: number | null;
  processPresaleAtDeposit: boolean;
}

/** Inserts a shop; returns undefined when the id is taken. */
export async function insertShop(db: Db, s: NewShop): Promise<ShopRow | undefined> {
  return shopsDb(db)
    .insertInto('shops')
    .values({
      id: s.id,
      platform: s.platform,
      name: s.name,
      active: s.active ?? true,
      credentials_enc: s.credentialsEnc,
      credentials_hint: s.credentialsHint,
      api_base_url: s.apiBaseUrl,
      sync_mode: s.syncMode,
      pull_interval_s: s.pullIntervalS,
      pull_lag_s: s.pullLagS,
      pull_overlap_s: s.pullOverlapS,
      process_presale_at_deposit: s.processPresaleAtDeposit,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
}

export type ShopPatch = Partial<Omit<NewShop, 'id' | 'platform'>>;

export async function updateShop(db: Db, id: string, p: ShopPatch): Promise<ShopRow | undefined> {
  const set = {
    ...(p.name !== undefined ? { name: p.name } : {}),
    ...(p.active !== undefined ? { active: p.active } : {}),
    ...(p.credentialsEnc !== undefined ? { credentials_enc: p.credentialsEnc } : {}),
    ...(p.credentialsHint !== undefined ? { credentials_hint: p.credentialsHint } : {}),
    ...(p.apiBaseUrl !== undefined ? { api_base_url: p.apiBaseUrl } : {}),
    ...(p.syncMode !== undefined ? { sync_mode: p.syncMode } : {}),
    ...(p.pullIntervalS !== undefined ? { pull_interval_s: p.pullIntervalS } : {}),
    ...(p.pullLagS !== undefined ? { pull_lag_s: p.pullLagS } : {}),
    ...(p.pullOverlapS !== undefined ? { pull_overlap_s: p.pullOverlapS } : {}),
    ...(p.processPresaleAtDeposit !== undefined ? { process_presale_at_deposit: p.processPresaleAtDeposit } : {}),
  };
  return shopsDb(db)
    .updateTable('shops')
    .set({ ...set, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function findShop(db: Db, id: string): Promise<ShopRow | undefined> {
  return shopsDb(db).selectFrom('shops').selectAll().where('id', '=', id).executeTakeFirst();
}

/** `ids`: only these shops (an API key limited to them); absent: every shop. */
export async function listShops(db: Db, f: { platform?: Platform; ids?: readonly string[]; limit: number; offset: number }): Promise<ShopRow[]> {
  let q = shopsDb(db).selectFrom('shops').selectAll();
  if (f.platform) q = q.where('platform', '=', f.platform);
  if (f.ids) q = f.ids.length ? q.where('id', 'in', [...f.ids]) : q.where(sql<boolean>`false`);
  return q.orderBy('created_at').orderBy('id').limit(f.limit).offset(f.offset).execute();
}

export function pullsEnabled(s: Pick<ShopRow, 'active' | 'sync_mode'>): boolean {
  return s.active && (s.sync_mode === 'pull' || s.sync_mode === 'both');
}
