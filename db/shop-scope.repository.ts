import type { Db } from './database.js';

// The shop a resource belongs to, for keys scoped to some shops (api/plugins/access.ts). `undefined`: no
// such resource; `null`: it belongs to no shop.

/** An exception's shop; `id` must already look like an exception id (digits). */
export async function shopOfException(db: Db, id: string): Promise<string | null | undefined> {
  const row = await db.selectFrom('exceptions').select('shop_id').where('id', '=', Number(id)).executeTakeFirst();
  return row ? row.shop_id : undefined;
}

export async function shopOfPackage(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('packages').select('shop_id').where('id', '=', id).executeTakeFirst();
  return row?.shop_id;
}

/** The order a stock transfer serves; `id` must already look like a transfer id (digits). */
export async function orderOfTransfer(db: Db, id: string): Promise<string | undefined> {
  const row = await db.selectFrom('transfers').select('order_id').where('id', '=', Number(id)).executeTakeFirst();
  return row?.order_id;
}
