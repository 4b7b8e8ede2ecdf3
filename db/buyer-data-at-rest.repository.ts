import { sql } from 'kysely';
import { isSealed, maskBuyerFields, maskReceiver, type FieldCipher } from '../domain/buyer-data.js';
import type { Receiver } from '../domain/order.js';
import type { Db } from './database.js';
import { RESOLUTION_PARAMS_FIELD } from './exceptions.repository.js';
import type { StoredResolution } from './exceptions.schema.js';
import { RAW_BODY_FIELD, sealInboxPayload } from './inbox.repository.js';
import { receiverColumns } from './orders.repository.js';
import { MERGE_KEY_FIELD } from './packages.repository.js';

// The data migration `buyer-data-at-rest`: seals the buyer data of rows written before Orderly sealed it as it
// writes (schema: 2026_12_03_0900_buyer_data_at_rest). It needs the key ring, which a schema migration never
// has, so `npm run migrate` and `npm start` run it after the schema migrations, with the process's keys.
// Batch by batch, each batch its own transaction, in key order; a value already sealed (or digested) is left
// alone, so it may be stopped and run again. It is done once a whole pass finds nothing left to seal, and from
// then on does nothing: processes of the previous version may write plaintext until they are replaced, so the
// pass of the next `npm run migrate` (or start) after every process runs this version is the one that ends it.

export const BUYER_DATA_MIGRATION = 'buyer-data-at-rest';

export interface SealedRows {
  /** Read-model rows whose receiver was sealed and masked. */
  orders: number;
  /** Inbox rows whose payload or raw body was sealed. */
  inbox: number;
  /** Exceptions, and their `resolved` events, whose resolution params were masked and sealed. */
  exceptions: number;
  exceptionEvents: number;
  /** Packages whose merge key (which may name a street) became a keyed digest. */
  packages: number;
}

export interface SealOptions {
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Run even when recorded as done (it then finds nothing to change, unless plaintext came back). */
  force?: boolean;
}

/** Whether a pass of the data migration has found nothing left to seal on this database. */
export async function buyerDataSealed(db: Db): Promise<boolean> {
  const row = await db.selectFrom('orderly_data_migrations').select('finished_at').where('name', '=', BUYER_DATA_MIGRATION).executeTakeFirst();
  return row?.finished_at != null;
}

/** Seals every row of buyer data not sealed yet; `skipped` when it was already done. */
export async function sealBuyerDataAtRest(db: Db, cipher: FieldCipher, opts: SealOptions = {}): Promise<SealedRows & { skipped: boolean }> {
  const batch = Math.max(1, opts.batchSize ?? 500);
  const done: SealedRows = { orders: 0, inbox: 0, exceptions: 0, exceptionEvents: 0, packages: 0 };
  if (!opts.force && (await buyerDataSealed(db))) return { ...done, skipped: true };
  done.orders = await sealOrders(db, cipher, batch);
  done.inbox = await sealInbox(db, cipher, batch);
  done.exceptions = await sealResolutions(db, cipher, batch);
  done.exceptionEvents = await sealResolvedEvents(db, cipher, batch);
  done.packages = await digestMergeKeys(db, cipher, batch);
  const rows = done.orders + done.inbox + done.exceptions + done.exceptionEvents + done.packages;
  const finished = rows === 0 ? sql<Date>`now()` : null;
  await db
    .insertInto('orderly_data_migrations')
    .values({ name: BUYER_DATA_MIGRATION, rows, last_run_at: sql<Date>`now()`, finished_at: finished })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        rows: sql<number>`orderly_data_migrations.rows + ${rows}`,
        last_run_at: sql<Date>`now()`,
        finished_at: rows === 0 ? sql<Date>`coalesce(orderly_data_migrations.finished_at, now())` : null,
      }),
    )
    .execute();
  return { ...done, skipped: false };
}

/** A stored receiver as the canonical model shapes it (a legacy row may lack fields). */
function receiverOf(v: unknown): Receiver {
  const r = (v !== null && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const text = (k: string) => (typeof r[k] === 'string' ? r[k] : '');
  return { ...(r as Partial<Receiver>), name: text('name'), phone: text('phone'), province: text('province'), city: text('city'), district: text('district'), detail: text('detail') };
}

/**
 * Walks a table in key order, `batch` rows at a time: `read(after)` the next rows past the last key, `write` them
 * (returns how many it changed). Ends at the first empty read; returns the total changed.
 */
async function inBatches<K, R extends { id: K }>(start: K, read: (after: K) => Promise<R[]>, write: (rows: R[]) => Promise<number>): Promise<number> {
  let n = 0;
  for (let after = start; ; ) {
    const rows = await read(after);
    if (rows.length === 0) return n;
    n += await write(rows);
    after = rows.at(-1)!.id;
  }
}

async function sealOrders(db: Db, cipher: FieldCipher, batch: number): Promise<number> {
  return inBatches(
    '',
    (after) => db.selectFrom('orders').select(['id', 'order']).where('receiver_enc', 'is', null).where('id', '>', after).orderBy('id').limit(batch).execute(),
    (rows) =>
      db.transaction().execute(async (tx) => {
        let n = 0;
        for (const row of rows) {
          const doc = (row.order ?? {}) as Record<string, unknown>;
          const receiver = receiverOf(doc.receiver);
          const r = await tx
            .updateTable('orders')
            .set({ ...receiverColumns(receiver, cipher), order: JSON.stringify({ ...doc, receiver: maskReceiver(receiver) }) })
            .where('id', '=', row.id)
            // A writer that sealed the row since it was read wins.
            .where('receiver_enc', 'is', null)
            .executeTakeFirst();
          n += Number(r.numUpdatedRows);
        }
        return n;
      }),
  );
}

async function sealInbox(db: Db, cipher: FieldCipher, batch: number): Promise<number> {
  return inBatches(
    '0',
    (after) =>
      db
        .selectFrom('channel_events')
        .select(['id', 'payload', 'raw_body'])
        .where('id', '>', after)
        .where((eb) =>
          eb.or([
            eb.and([eb('raw_body', 'is not', null), eb('raw_body', 'not like', 'enc:v1:%')]),
            eb.and([eb('payload', 'is not', null), sql<boolean>`not (jsonb_typeof(payload) = 'string' and payload #>> '{}' like 'enc:v1:%')`]),
          ]),
        )
        .orderBy('id')
        .limit(batch)
        .execute(),
    (rows) =>
      db.transaction().execute(async (tx) => {
        let n = 0;
        for (const row of rows) {
          const set = {
            ...(row.payload !== null && !isSealed(row.payload) ? { payload: sealInboxPayload(cipher, row.payload) } : {}),
            ...(row.raw_body !== null && !isSealed(row.raw_body) ? { raw_body: cipher.seal(RAW_BODY_FIELD, row.raw_body) } : {}),
          };
          if (Object.keys(set).length === 0) continue;
          await tx.updateTable('channel_events').set(set).where('id', '=', row.id).execute();
          n += 1;
        }
        return n;
      }),
  );
}

/** The resolution with its buyer fields masked and its params sealed, or undefined when it holds none. */
function sealedResolution(cipher: FieldCipher, stored: unknown): StoredResolution | undefined {
  if (stored === null || typeof stored !== 'object') return undefined;
  const r = stored as StoredResolution;
  if (!r.params || r.paramsSealed !== undefined) return undefined;
  const masked = maskBuyerFields(r.params);
  if (!masked.masked) return undefined;
  return { ...r, params: masked.value, paramsSealed: cipher.seal(RESOLUTION_PARAMS_FIELD, JSON.stringify(r.params)) };
}

async function sealResolutions(db: Db, cipher: FieldCipher, batch: number): Promise<number> {
  return inBatches(
    0,
    (after) =>
      db
        .selectFrom('exceptions')
        .select(['id', 'resolution'])
        .where('id', '>', after)
        .where(sql<boolean>`resolution -> 'params' is not null and resolution -> 'paramsSealed' is null`)
        .orderBy('id')
        .limit(batch)
        .execute(),
    (rows) =>
      db.transaction().execute(async (tx) => {
        let n = 0;
        for (const row of rows) {
          const sealed = sealedResolution(cipher, row.resolution);
          if (!sealed) continue;
          await tx.updateTable('exceptions').set({ resolution: JSON.stringify(sealed) }).where('id', '=', row.id).execute();
          n += 1;
        }
        return n;
      }),
  );
}

async function sealResolvedEvents(db: Db, cipher: FieldCipher, batch: number): Promise<number> {
  return inBatches(
    0,
    (after) =>
      db
        .selectFrom('exception_events')
        .select(['id', 'detail'])
        .where('id', '>', after)
        .where('event', '=', 'resolved')
        .where(sql<boolean>`detail -> 'params' is not null and detail -> 'paramsSealed' is null`)
        .orderBy('id')
        .limit(batch)
        .execute(),
    async (rows) => {
      const changes = rows.flatMap((row) => {
        const sealed = sealedResolution(cipher, row.detail);
        return sealed ? [{ id: row.id, detail: sealed }] : [];
      });
      if (changes.length === 0) return 0;
      await db.transaction().execute(async (tx) => {
        // The history is append-only (a trigger refuses updates): this one rewrite of buyer data in it is the
        // data migration's, in this transaction only.
        await sql`alter table exception_events disable trigger exception_events_append_only`.execute(tx);
        for (const c of changes) await sql`update exception_events set detail = ${JSON.stringify(c.detail)}::jsonb where id = ${c.id}`.execute(tx);
        await sql`alter table exception_events enable trigger exception_events_append_only`.execute(tx);
      });
      return changes.length;
    },
  );
}

async function digestMergeKeys(db: Db, cipher: FieldCipher, batch: number): Promise<number> {
  return inBatches(
    '',
    (after) =>
      db
        .selectFrom('packages')
        .select(['id', 'merge_key'])
        .where('id', '>', after)
        .where('merge_key', 'not like', 'h1:%')
        .where('merge_key', 'not like', 'solo:%')
        .orderBy('id')
        .limit(batch)
        .execute(),
    (rows) =>
      db.transaction().execute(async (tx) => {
        for (const row of rows) {
          await tx.updateTable('packages').set({ merge_key: cipher.digests(MERGE_KEY_FIELD, row.merge_key)[0]! }).where('id', '=', row.id).where('merge_key', '=', row.merge_key).execute();
        }
        return rows.length;
      }),
  );
}
