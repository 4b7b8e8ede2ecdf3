// Who may use the API: the roles an API key carries. Which role may call which route is the API's table
// (api/plugins/access.ts); this is the vocabulary it, the key store and the audit log share.

/**
 * The roles of an API key, from the most to the least trusted.
 * - `admin`: everything, keys and the audit log included.
 * - `ops`: the operations team: orders, exceptions, reviews, stock, packages; reads master data.
 * - `reviewer`: the manual-review queue and what a reviewer reads to decide.
 * - `connector`: an integration that delivers orders and their events (`POST /v1/orders`).
 * - `warehouse`: a WMS: packages and transfers it reports on, stock adjustments.
 * - `viewer`: reads only.
 *
 * @example ROLES.includes('ops') // true
 */
export const ROLES = ['admin', 'ops', 'reviewer', 'connector', 'warehouse', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Whether a key scoped to `scope` (null: every shop) may see or touch `shopId`.
 *
 * @example inShopScope(['shop-a'], 'shop-b') // false
 * @example inShopScope(null, 'shop-b') // true
 */
export function inShopScope(scope: readonly string[] | null, shopId: string): boolean {
  return scope === null || scope.includes(shopId);
}

/**
 * Roles that see a buyer's name, phone and street as received where the API shows one order, exception or
 * inbox event: the people who act on them. Every other role sees the masked forms lists show.
 */
export const BUYER_DATA_ROLES: readonly Role[] = ['admin', 'ops', 'reviewer'];

/**
 * Whether a key of `role` sees buyer data unmasked.
 *
 * @example seesBuyerData('viewer') // false
 */
export function seesBuyerData(role: Role | undefined): boolean {
  return role !== undefined && BUYER_DATA_ROLES.includes(role);
}
