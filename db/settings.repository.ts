import { sql } from 'kysely';
import type { Db } from './database.js';

export interface Setting<T> {
  value: T;
  version: number;
  updatedAt: Date;
}

export async function getSetting<T>(db: Db, key: string): Promise<Setting<T> | undefined> {
  const row = await db.selectFrom('settings').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? { value: row.value as T, version: row.version, updatedAt: row.updated_at } : undefined;
}

/** Stores a new value; the version goes up by one with every write (1 for the first). */
export async function putSetting<T>(db: Db, key: string, value: T): Promise<Setting<T>> {
  const row = await db
    .insertInto('settings')
    .values({ key, value: JSON.stringify(value), version: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), version: sql<number>`settings.version + 1`, updated_at: sql<Date>`now()` })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return { value: row.value as T, version: row.version, updatedAt: row.updated_at };
}
