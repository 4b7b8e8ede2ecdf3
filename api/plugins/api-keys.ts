import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '../../config/logger.js';
import type { Db } from '../../db/database.js';
import { storeFirstApiKey, type ApiKeyInfo, type NewApiKey } from '../../db/api-keys.repository.js';
import type { Role } from '../../domain/access.js';

// API key material. A key is `ork_` and 43 base64url characters (32 random bytes): far too much entropy to
// guess or to brute-force from its hash, so a plain sha256 is the right hash (a slow password hash protects
// low-entropy secrets, and would cost every request milliseconds). Only the hash and the first characters (the
// prefix, to tell keys apart in lists) are stored.

const KEY_PREFIX = 'ork_';
/** How much of the key a list shows: `ork_` and 8 characters (48 of its 256 bits). */
const DISPLAY_LENGTH = KEY_PREFIX.length + 8;

export function generateApiKey(): string {
  return `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, DISPLAY_LENGTH);
}

/** The row to store for a key with this secret (the secret itself is not in it). */
export function apiKeyRecord(secret: string, k: { name: string; role: Role; shopIds: readonly string[] | null; createdBy: string | null }): NewApiKey {
  return { id: randomUUID(), name: k.name, role: k.role, shopIds: k.shopIds, prefix: displayPrefix(secret), secretHash: hashApiKey(secret), createdBy: k.createdBy };
}

export type FirstKeyOutcome =
  /** No key existed: this one was stored; `generated` when Orderly made the secret (print it now, once). */
  | { outcome: 'created'; key: ApiKeyInfo; secret: string; generated: boolean }
  /** Keys existed; the configured key is one of them (active or revoked) or none of them. */
  | { outcome: 'exists'; configured: 'active' | 'revoked' | 'absent' | 'not_set' };

/**
 * On a database without any API key, stores the first one, an admin key: `configured` (ORDERLY_ADMIN_KEY)
 * or a fresh one. Once keys exist it changes nothing: keys are then managed through `/v1/api-keys`, and a
 * configured key that is not (or no longer) among them is not brought back.
 */
export async function ensureFirstAdminKey(db: Db, logger: Logger, configured: string | undefined): Promise<FirstKeyOutcome> {
  const secret = configured ?? generateApiKey();
  const r = await storeFirstApiKey(db, apiKeyRecord(secret, { name: 'first admin', role: 'admin', shopIds: null, createdBy: null }));
  if (r.created) {
    logger.info({ keyId: r.created.id, prefix: r.created.prefix, fromConfig: configured !== undefined }, 'first admin API key stored');
    return { outcome: 'created', key: r.created, secret, generated: configured === undefined };
  }
  if (configured === undefined) return { outcome: 'exists', configured: 'not_set' };
  if (r.existing === 'absent') logger.warn('ORDERLY_ADMIN_KEY is not one of the stored API keys and is ignored: keys are managed with /v1/api-keys once one exists');
  if (r.existing === 'revoked') logger.warn('ORDERLY_ADMIN_KEY names a revoked API key: it stays revoked');
  return { outcome: 'exists', configured: r.existing };
}
