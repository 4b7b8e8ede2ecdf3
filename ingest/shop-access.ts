import { decryptCredentials } from '../channels/credentials.js';
import type { ShopCredentials } from '../channels/types.js';
import type { Db } from '../db/database.js';
import { findShop, type ShopRow } from '../db/shops.repository.js';

// A shop's credentials are stored encrypted (db/ only stores and loads them); they are decrypted here, for
// the ingest path and the activities that call the platform, and never leave the process.

export interface ShopAccess {
  shop: ShopRow;
  credentials: ShopCredentials;
}

/**
 * A shop and its decrypted credentials (baseUrl from the shop row), or undefined for an unknown shop.
 * Throws when the shop has no credentials or they cannot be decrypted.
 */
export async function loadShopAccess(db: Db, id: string, masterKey: Buffer): Promise<ShopAccess | undefined> {
  const shop = await findShop(db, id);
  return shop ? shopAccess(shop, masterKey) : undefined;
}

/** The shop was never given credentials: nothing it receives can be verified, nothing it sends can be signed. */
export class NoShopCredentialsError extends Error {
  override readonly name = 'NoShopCredentialsError';
}

/** A loaded shop with its credentials decrypted; throws when it has none or they cannot be decrypted. */
export function shopAccess(shop: ShopRow, masterKey: Buffer): ShopAccess {
  if (!shop.credentials_enc) throw new NoShopCredentialsError(`shop ${shop.id} has no credentials`);
  const credentials = decryptCredentials(shop.credentials_enc, masterKey, shop.id);
  return { shop, credentials: { ...credentials, ...(shop.api_base_url ? { baseUrl: shop.api_base_url } : {}) } };
}

/**
 * Short-lived cache of shop access for the webhook path, where a database round trip per push matters.
 * Entries live `ttlMs`, so a credentials change takes effect within that time on every API process.
 */
export function createShopAccessCache(db: Db, masterKey: Buffer, ttlMs = 5000) {
  const entries = new Map<string, { at: number; value: ShopAccess | undefined }>();
  return {
    async get(id: string): Promise<ShopAccess | undefined> {
      const hit = entries.get(id);
      if (hit && Date.now() - hit.at < ttlMs) return hit.value;
      const value = await loadShopAccess(db, id, masterKey);
      entries.set(id, { at: Date.now(), value });
      if (entries.size > 10_000) entries.delete(entries.keys().next().value!);
      return value;
    },
    invalidate(id: string): void {
      entries.delete(id);
    },
  };
}
