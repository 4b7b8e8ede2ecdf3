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

/**
 * Stores a new value; the version goes up by one with every write (1 for the first). The version is also
 * appended to `settings_versions` in the same statement, so a version once used can always be read back.
 */
export async function putSetting<T>(db: Db, key: string, value: T): Promise<Setting<T>> {
  const row = await db
    .with('saved', (qc) =>
      qc
        .insertInto('settings')
        .values({ key, value: JSON.stringify(value), version: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), version: sql<number>`settings.version + 1`, updated_at: sql<Date>`now()` })),
        )
        .returningAll(),
    )
    .with('history', (qc) =>
      qc
        .insertInto('settings_versions')
        .columns(['key', 'version', 'value', 'created_at'])
        .expression((eb) => eb.selectFrom('saved').select(['saved.key', 'saved.version', 'saved.value', 'saved.updated_at']))
        .returning('settings_versions.version'),
    )
    .selectFrom('saved')
    .selectAll('saved')
    .executeTakeFirstOrThrow();
  return { value: row.value as T, version: row.version, updatedAt: row.updated_at };
}

/** One version of a setting as it was written (`updatedAt`: when that version was written); undefined when there is none. */
export async function getSettingVersion<T>(db: Db, key: string, version: number): Promise<Setting<T> | undefined> {
  const row = await db.selectFrom('settings_versions').selectAll().where('key', '=', key).where('version', '=', version).executeTakeFirst();
  return row ? { value: row.value as T, version: row.version, updatedAt: row.created_at } : undefined;
}
