import { sql, type Kysely } from 'kysely';
import type { Role } from '../domain/access.js';
import type { AccessTables, ApiKeyRow } from './access.schema.js';
import type { Db } from './database.js';
import type { Database } from './schema.js';

type KeysDb = Kysely<Database & AccessTables>;

function keysDb(db: Db): KeysDb {
  return db.withTables<AccessTables>();
}

export interface NewApiKey {
  id: string;
  name: string;
  role: Role;
  shopIds: readonly string[] | null;
  prefix: string;
  secretHash: string;
  createdBy: string | null;
}

/** What a key list shows: everything but the hash. */
export type ApiKeyInfo = Omit<ApiKeyRow, 'secret_hash'>;

const INFO = ['id', 'name', 'role', 'shop_ids', 'prefix', 'created_at', 'created_by', 'revoked_at', 'revoked_by'] as const;

export async function insertApiKey(db: Db, k: NewApiKey): Promise<ApiKeyInfo> {
  return insertKey(keysDb(db), k);
}

function insertKey(db: KeysDb, k: NewApiKey): Promise<ApiKeyInfo> {
  return db
    .insertInto('api_keys')
    .values({ id: k.id, name: k.name, role: k.role, shop_ids: k.shopIds ? [...k.shopIds] : null, prefix: k.prefix, secret_hash: k.secretHash, created_by: k.createdBy })
    .returning(INFO)
    .executeTakeFirstOrThrow();
}

/** The key whose secret hashes to `secretHash`, revoked or not (the caller tells the two apart). */
export async function findApiKeyByHash(db: Db, secretHash: string): Promise<ApiKeyInfo | undefined> {
  return keysDb(db).selectFrom('api_keys').select(INFO).where('secret_hash', '=', secretHash).executeTakeFirst();
}

export async function findApiKey(db: Db, id: string): Promise<ApiKeyInfo | undefined> {
  return keysDb(db).selectFrom('api_keys').select(INFO).where('id', '=', id).executeTakeFirst();
}

/** Every key, newest first; revoked ones only when asked for. */
export async function listApiKeys(db: Db, f: { includeRevoked: boolean }): Promise<ApiKeyInfo[]> {
  let q = keysDb(db).selectFrom('api_keys').select(INFO);
  if (!f.includeRevoked) q = q.where('revoked_at', 'is', null);
  return q.orderBy('created_at', 'desc').orderBy('id').execute();
}

export type RevokeOutcome =
  | { outcome: 'revoked' | 'already_revoked'; before: ApiKeyInfo; row: ApiKeyInfo }
  | { outcome: 'not_found' }
  /** It is the last usable admin key for every shop: without it nobody could manage keys any more. */
  | { outcome: 'last_admin' };

/** Revokes a key from now on; revoking it again changes nothing. The last admin key for every shop stays. */
export async function revokeApiKey(db: Db, id: string, by: string | null, at: Date = new Date()): Promise<RevokeOutcome> {
  return keysDb(db)
    .transaction()
    .execute(async (tx) => {
      // Two admins revoking each other's key at once must not leave none.
      await sql`select pg_advisory_xact_lock(hashtext('orderly:api-keys'))`.execute(tx);
      const before = await tx.selectFrom('api_keys').select(INFO).where('id', '=', id).executeTakeFirst();
      if (!before) return { outcome: 'not_found' as const };
      if (before.revoked_at) return { outcome: 'already_revoked' as const, before, row: before };
      if (before.role === 'admin' && before.shop_ids === null) {
        const other = await tx
          .selectFrom('api_keys')
          .select('id')
          .where('role', '=', 'admin')
          .where('shop_ids', 'is', null)
          .where('revoked_at', 'is', null)
          .where('id', '<>', id)
          .limit(1)
          .executeTakeFirst();
        if (!other) return { outcome: 'last_admin' as const };
      }
      const row = await tx.updateTable('api_keys').set({ revoked_at: at, revoked_by: by }).where('id', '=', id).returning(INFO).executeTakeFirstOrThrow();
      return { outcome: 'revoked' as const, before, row };
    });
}

/**
 * Stores `make()` as the first key, if there is no key at all yet; concurrent first starts (several API
 * processes) agree on one under a transaction-scoped advisory lock. Returns the key stored, or null when
 * keys existed already, with whether the key `secretHash` names (if given) is among them and usable.
 */
export async function storeFirstApiKey(
  db: Db,
  key: NewApiKey,
): Promise<{ created: ApiKeyInfo } | { created: null; existing: 'active' | 'revoked' | 'absent' }> {
  return keysDb(db)
    .transaction()
    .execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(hashtext('orderly:first-api-key'))`.execute(tx);
      const any = await tx.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
      if (!any) return { created: await insertKey(tx, key) };
      const same = await tx.selectFrom('api_keys').select(['revoked_at']).where('secret_hash', '=', key.secretHash).executeTakeFirst();
      return { created: null, existing: !same ? ('absent' as const) : same.revoked_at ? ('revoked' as const) : ('active' as const) };
    });
}
