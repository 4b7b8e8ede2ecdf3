import type { Config } from '../../config/config.js';
import type { Role } from '../../domain/access.js';

// Who may call which route: the one table. Every route the app registers has an entry here, keyed by method
// and route pattern as Fastify knows it (`GET /v1/orders/:id`); a route without one is refused (403) and
// logged, and tests/integration/access.test.ts fails for it. The auth plugin (auth.ts) enforces the table.

/**
 * Where a shop-scoped route finds the shop a request concerns, for keys limited to some shops:
 * - `order`: an order id (`order:<platform>:<shop>:<id>`) in the path parameter `param`;
 * - `shop`: a shop id in the path parameter `param`;
 * - `body`: `shopId` of the JSON body;
 * - `exception`, `package`, `transfer`: the resource named by the path parameter `id`, looked up;
 * - `list`: a list; `?shopId=` must be one of the key's shops, and the route lists only the key's shops.
 */
export type ShopSource =
  | { from: 'order'; param: string }
  | { from: 'shop'; param: string }
  | { from: 'body' }
  | { from: 'exception' | 'package' | 'transfer' }
  | { from: 'list' };

/**
 * What a key limited to some shops may do on a route that is not about one shop:
 * - `global`: data shared by every shop (master data, settings, rules): read it, never change it;
 * - `unscoped`: only keys without a shop scope (key management, the audit log, anything spanning all shops).
 */
export type NoShop = 'global' | 'unscoped';

export interface KeyRule {
  roles: readonly Role[];
  /** How a shop-scoped key is held to its shops here. */
  shops: ShopSource | NoShop;
  /** The short name of what the route does, in the audit log. Every route other than GET has one. */
  action?: string;
  /** Audit a call of an audited role (default: every method but GET). */
  audit?: boolean;
  /**
   * A cookie that may carry the key instead of the Authorization header: for a browser page that cannot set
   * headers (the Temporal UI calling the codec with "include cross-origin credentials").
   */
  cookie?: string;
  /** The route needs no key when this says so (a configuration flag), for `publicReason`. */
  publicWhen?: (config: Config) => boolean;
  publicReason?: string;
}

export interface PublicRule {
  /** Why anyone may call it without a key. */
  public: string;
}

export type AccessRule = KeyRule | PublicRule;

/** Roles whose actions (every call but a read) are written to the audit log. */
export const AUDITED_ROLES: readonly Role[] = ['admin', 'ops', 'reviewer', 'warehouse'];

const ADMIN: readonly Role[] = ['admin'];
const OPS: readonly Role[] = ['admin', 'ops'];
/** Viewer and up: everyone who reads the operational data. */
const READ: readonly Role[] = ['admin', 'ops', 'reviewer', 'viewer'];
/** Readers and the warehouse (master data, stock, packages, transfers). */
const READ_WH: readonly Role[] = [...READ, 'warehouse'];
const WAREHOUSE_ACTION: readonly Role[] = ['admin', 'ops', 'warehouse'];
/** Who reads the reports (GET /v1/reports/...). */
const REPORTS: readonly Role[] = ['admin', 'ops', 'viewer'];

const order = (param = 'id'): ShopSource => ({ from: 'order', param });
const LIST: ShopSource = { from: 'list' };

const DOCS = 'the OpenAPI document and its viewer describe the API and hold no data';

/** The cookie that carries a person's key to the codec paths (set by POST /codec/session). */
export const CODEC_COOKIE = 'orderly_codec';

export const ACCESS: Readonly<Record<string, AccessRule>> = {
  // Public -------------------------------------------------------------------------------------------------
  'GET /healthz': { public: 'liveness probe: says only that the process is up' },
  'GET /readyz': { public: 'readiness probe for load balancers: whether PostgreSQL and Temporal answer, no business data' },
  'GET /docs': { public: DOCS },
  'GET /docs/json': { public: DOCS },
  'GET /docs/yaml': { public: DOCS },
  'GET /docs/static/*': { public: DOCS },
  // The viewer's own HEAD route (its GET answers a redirect to /docs/static/index.html).
  'HEAD /docs/': { public: DOCS },
  'GET /docs/static/index.html': { public: DOCS },
  'GET /docs/static/swagger-initializer.js': { public: DOCS },
  'POST /webhooks/:platform/:shopId': {
    public: "platform pushes: authenticated by the platform's signature with the shop's secret (401 and nothing stored otherwise), not by an API key",
  },
  // Browsers ask before calling the codec from the Temporal UI; a preflight carries no credentials.
  'OPTIONS /codec/encode': { public: 'CORS preflight of the codec endpoint: answers headers only, carries no credentials' },
  'OPTIONS /codec/decode': { public: 'CORS preflight of the codec endpoint: answers headers only, carries no credentials' },
  'GET /metrics': { roles: READ, shops: 'global', publicWhen: (c) => c.METRICS_PUBLIC, publicReason: 'METRICS_PUBLIC=true: a scraper on a private network' },

  // Orders -------------------------------------------------------------------------------------------------
  'POST /v1/orders': { roles: ['admin', 'ops', 'connector'], shops: { from: 'body' }, action: 'order.create' },
  'POST /v1/orders/:id/events': { roles: ['admin', 'ops', 'connector'], shops: order(), action: 'order.event' },
  'GET /v1/orders': { roles: READ, shops: LIST },
  'GET /v1/orders/:id': { roles: [...READ, 'connector'], shops: order() },
  'GET /v1/orders/:id/state': { roles: READ, shops: order() },
  'GET /v1/orders/:id/decisions': { roles: READ, shops: order() },

  // Reviews and exceptions ---------------------------------------------------------------------------------
  'GET /v1/reviews': { roles: READ, shops: LIST },
  'GET /v1/reviews/:orderId': { roles: READ, shops: order('orderId') },
  'POST /v1/reviews/:orderId': { roles: ['admin', 'ops', 'reviewer'], shops: order('orderId'), action: 'review.decide' },
  'GET /v1/exceptions': { roles: READ, shops: LIST },
  'GET /v1/exceptions/summary': { roles: READ, shops: LIST },
  'GET /v1/exceptions/:id': { roles: READ, shops: { from: 'exception' } },
  'POST /v1/exceptions/:id/assign': { roles: OPS, shops: { from: 'exception' }, action: 'exception.assign' },
  'POST /v1/exceptions/:id/resolve': { roles: OPS, shops: { from: 'exception' }, action: 'exception.resolve' },

  // Shops: apiBaseUrl and credentials need admin even on PATCH (checked by the route, which knows the body).
  'POST /v1/shops': { roles: ADMIN, shops: 'global', action: 'shop.create' },
  'GET /v1/shops': { roles: READ, shops: LIST },
  'GET /v1/shops/:id': { roles: READ, shops: { from: 'shop', param: 'id' } },
  'PATCH /v1/shops/:id': { roles: OPS, shops: { from: 'shop', param: 'id' }, action: 'shop.update' },
  // The channel inbox spans every shop. One event shows its pushed body and parsed event decrypted (buyer
  // data): admins only, and every such read is audited.
  'GET /v1/inbox': { roles: ADMIN, shops: 'unscoped' },
  'GET /v1/inbox/:id': { roles: ADMIN, shops: 'unscoped', action: 'inbox.read', audit: true },

  // Master data, stock, packages, transfers ----------------------------------------------------------------
  'GET /v1/warehouses': { roles: READ_WH, shops: 'global' },
  'GET /v1/warehouses/:code': { roles: READ_WH, shops: 'global' },
  'POST /v1/warehouses': { roles: ADMIN, shops: 'global', action: 'warehouse.create' },
  'PATCH /v1/warehouses/:code': { roles: ADMIN, shops: 'global', action: 'warehouse.update' },
  'GET /v1/skus': { roles: READ_WH, shops: 'global' },
  'GET /v1/skus/:code': { roles: READ_WH, shops: 'global' },
  'POST /v1/skus': { roles: ADMIN, shops: 'global', action: 'sku.create' },
  'PATCH /v1/skus/:code': { roles: ADMIN, shops: 'global', action: 'sku.update' },
  'GET /v1/carriers': { roles: READ_WH, shops: 'global' },
  'GET /v1/carriers/:code': { roles: READ_WH, shops: 'global' },
  'POST /v1/carriers': { roles: ADMIN, shops: 'global', action: 'carrier.create' },
  'PATCH /v1/carriers/:code': { roles: ADMIN, shops: 'global', action: 'carrier.update' },
  'GET /v1/carriers/:code/platform-codes': { roles: READ_WH, shops: 'global' },
  'PUT /v1/carriers/:code/platform-codes': { roles: ADMIN, shops: 'global', action: 'carrier.platform-codes' },
  'GET /v1/inventory': { roles: READ_WH, shops: 'global' },
  'GET /v1/inventory/:warehouseCode/:skuCode': { roles: READ_WH, shops: 'global' },
  'GET /v1/inventory/:warehouseCode/:skuCode/adjustments': { roles: READ_WH, shops: 'global' },
  'POST /v1/inventory/:warehouseCode/:skuCode/adjustments': { roles: WAREHOUSE_ACTION, shops: 'global', action: 'stock.adjust' },
  // The package list is not filtered by shop: keys limited to shops read packages one by one.
  'GET /v1/packages': { roles: READ_WH, shops: 'unscoped' },
  'GET /v1/packages/:id': { roles: READ_WH, shops: { from: 'package' } },
  'POST /v1/packages/:id/events': { roles: WAREHOUSE_ACTION, shops: { from: 'package' }, action: 'package.event' },
  'GET /v1/transfers/:id': { roles: READ_WH, shops: { from: 'transfer' } },
  'POST /v1/transfers/:id/events': { roles: WAREHOUSE_ACTION, shops: { from: 'transfer' }, action: 'transfer.event' },
  'GET /v1/customers': { roles: READ, shops: 'global' },
  'GET /v1/customers/:platform/:buyerKey': { roles: READ, shops: 'global' },
  'PUT /v1/customers/:platform/:buyerKey': { roles: OPS, shops: 'global', action: 'customer.put' },
  'DELETE /v1/customers/:platform/:buyerKey': { roles: OPS, shops: 'global', action: 'customer.delete' },

  // Settings and rules -------------------------------------------------------------------------------------
  'GET /v1/settings/merge-policy': { roles: READ, shops: 'global' },
  'GET /v1/settings/merge-policy/versions/:version': { roles: READ, shops: 'global' },
  'PUT /v1/settings/merge-policy': { roles: ADMIN, shops: 'global', action: 'settings.merge-policy' },
  'GET /v1/settings/allocation-strategy': { roles: READ, shops: 'global' },
  'GET /v1/settings/allocation-strategy/versions/:version': { roles: READ, shops: 'global' },
  'PUT /v1/settings/allocation-strategy': { roles: ADMIN, shops: 'global', action: 'settings.allocation-strategy' },
  'GET /v1/settings/exception-policy': { roles: READ, shops: 'global' },
  'GET /v1/settings/exception-policy/versions/:version': { roles: READ, shops: 'global' },
  'PUT /v1/settings/exception-policy': { roles: ADMIN, shops: 'global', action: 'settings.exception-policy' },
  'GET /v1/rules': { roles: READ, shops: 'global' },
  'GET /v1/rules/versions': { roles: READ, shops: 'global' },
  'GET /v1/rules/versions/:version': { roles: READ, shops: 'global' },
  'PUT /v1/rules/draft': { roles: ADMIN, shops: 'global', action: 'rules.draft' },
  'POST /v1/rules/publish': { roles: ADMIN, shops: 'global', action: 'rules.publish' },
  'POST /v1/rules/rollback': { roles: ADMIN, shops: 'global', action: 'rules.rollback' },
  // Reads every shop's orders of the period.
  'POST /v1/rules/dry-run': { roles: OPS, shops: 'unscoped', action: 'rules.dry-run' },

  // Reports: read by admin, ops and viewer; a key limited to shops gets its shops' figures only.
  'GET /v1/reports/orders': { roles: REPORTS, shops: LIST },
  'GET /v1/reports/reviews': { roles: REPORTS, shops: LIST },
  'GET /v1/reports/split-merge': { roles: REPORTS, shops: LIST },
  'GET /v1/reports/exceptions': { roles: REPORTS, shops: LIST },
  'GET /v1/reports/warehouse-load': { roles: REPORTS, shops: LIST },
  'GET /v1/reports/carriers': { roles: REPORTS, shops: LIST },
  'GET /v1/reports/costs': { roles: REPORTS, shops: LIST },
  'GET /v1/reports/people': { roles: REPORTS, shops: LIST },

  // Keys, the audit log, the payload codec, metrics ---------------------------------------------------------
  'POST /v1/api-keys': { roles: ADMIN, shops: 'unscoped', action: 'api-key.create' },
  'GET /v1/api-keys': { roles: ADMIN, shops: 'unscoped' },
  'GET /v1/api-keys/:id': { roles: ADMIN, shops: 'unscoped' },
  'POST /v1/api-keys/:id/revoke': { roles: ADMIN, shops: 'unscoped', action: 'api-key.revoke' },
  'GET /v1/audit': { roles: ADMIN, shops: 'unscoped' },
  // The Temporal UI's codec: decode shows what workflows carry (buyer data included), so every decode is audited.
  'POST /codec/encode': { roles: OPS, shops: 'unscoped', action: 'codec.encode', audit: false, cookie: CODEC_COOKIE },
  'POST /codec/decode': { roles: OPS, shops: 'unscoped', action: 'codec.decode', audit: true, cookie: CODEC_COOKIE },
  // A browser session for the codec: the key a person gives is kept in an HttpOnly cookie for the codec paths.
  'GET /codec/session': { public: 'the sign-in page for the codec: a form that holds no data; the key is checked when it is posted' },
  'POST /codec/session': { roles: OPS, shops: 'unscoped', action: 'codec.session' },
  'DELETE /codec/session': { roles: OPS, shops: 'unscoped', action: 'codec.session.end', cookie: CODEC_COOKIE },
};

/** The rule of a route; HEAD routes (Fastify adds one per GET) follow their GET unless listed themselves. */
export function accessRule(method: string, url: string): AccessRule | undefined {
  return ACCESS[`${method} ${url}`] ?? (method === 'HEAD' ? ACCESS[`GET ${url}`] : undefined);
}

export function isPublic(rule: AccessRule, config: Config): boolean {
  return 'public' in rule || (rule.publicWhen?.(config) ?? false);
}

/** Whether a call of this route is an action (written to the audit log for the audited roles). */
export function isAction(rule: KeyRule, method: string): boolean {
  return rule.audit ?? (method !== 'GET' && method !== 'HEAD');
}
