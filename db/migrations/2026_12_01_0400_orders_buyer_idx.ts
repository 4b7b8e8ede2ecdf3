import type { Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // Opening a package looks for the buyer's other open orders in the shop (merge policy
  // `when_buyer_has_open_orders`): keep that an index lookup, not a scan of every order.
  await db.schema.createIndex('orders_shop_buyer_idx').on('orders').columns(['shop_id', 'buyer_key']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('orders_shop_buyer_idx').ifExists().execute();
}
