import type { PlatformOrderState } from '../domain/platform-state.js';
import type { CanonicalOrderInput, Platform } from '../domain/order.js';
import type { JsonObject } from './json.js';

/** What a platform message means for an order, whatever the platform calls it. */
export const CHANNEL_EVENT_TYPES = [
  'created',
  'paid',
  'deposit_paid',
  'balance_paid',
  'address_changed',
  'memo_changed',
  'amount_changed',
  'refund_requested',
  'refund_closed',
  'refunded',
  'cancelled',
  'shipped',
] as const;
export type ChannelEventType = (typeof CHANNEL_EVENT_TYPES)[number];

/** One order event from a push. `messageId` is the platform's, so redeliveries deduplicate on it. */
export interface ChannelEvent {
  messageId: string;
  type: ChannelEventType;
  platformOrderId: string;
  /** The platform's own topic or tag, kept for the inbox and for debugging. */
  topic: string;
  /** The message's business content, parsed bigint-safe. */
  data: JsonObject;
}

/** A message that is well-formed but carries nothing an order workflow acts on (e.g. "trade success"). */
export interface IgnoredMessage {
  messageId: string;
  topic: string;
  platformOrderId?: string;
  reason: string;
}

export interface ParsedPush {
  events: ChannelEvent[];
  ignored: IgnoredMessage[];
}

/** A shop's credentials on its platform (TOP app key/secret, JOS, Douyin app, PDD client). */
export interface ShopCredentials {
  appKey: string;
  appSecret: string;
  /** Session / access token of the shop's authorisation. */
  accessToken?: string;
  /** Router or gateway base, to point a connector at the simulator. */
  baseUrl?: string;
}

export interface PushRequest {
  /** Header names in lower case, as Node gives them. */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body exactly as received: signatures are over these bytes. */
  rawBody: string;
}

export type PushOutcome = 'success' | 'retry';

/** The HTTP answer a platform expects for a push. */
export interface PushAck {
  status: number;
  contentType: string;
  body: string;
}

/** A ready-to-send platform API call: pure data, sent by an activity. */
export interface SignedRequest {
  method: 'POST';
  /** Full URL including any query string. */
  url: string;
  /** Every parameter that was signed, plus `sign`. */
  params: Record<string, string>;
  contentType: 'application/x-www-form-urlencoded' | 'application/json';
  body: string;
}

/** The platform's status of an order, in one vocabulary. */
/** The platform's status of an order, in one vocabulary (defined with the domain rules that read it). */
export type ChannelOrderState = PlatformOrderState;

export interface MapContext {
  shopId: string;
}

/** A platform order mapped to Orderly's shape, plus what the canonical order does not carry. */
export interface MappedOrder {
  /** Not yet validated: the ingest runs `canonicalOrder.safeParse` and flags what is incomplete. */
  order: CanonicalOrderInput;
  state: ChannelOrderState;
  /** The platform's raw status value(s), for the read model and for humans. */
  platformStatus: string;
  /** Line ids with an open or finished after-sale request. */
  refundLineIds: string[];
}

export interface PullWindow {
  /** Inclusive start (UTC). */
  start: Date;
  /** End (UTC); the caller keeps it `lagMs` behind now. */
  end: Date;
}

export interface PullQuery {
  window: PullWindow;
  page: number;
  pageSize: number;
  /** When the request is signed (timestamp parameter). */
  now: Date;
  /** Set on the first request of a backward-paged window: it only needs the total. */
  probe?: boolean;
}

export interface PullPage {
  page: number;
  pageSize: number;
  /** Total matching orders in the window, when the platform says. */
  total?: number;
  hasNext: boolean;
  platformOrderIds: string[];
  /** The list items; complete orders where `paging.listHasDetail`, summaries otherwise. */
  orders: JsonObject[];
  /**
   * Each item's modified time where the list says it, exactly as the order's detail maps it (`updatedAt`, a
   * UTC instant): a pull skips the detail read of an order whose version the inbox already holds.
   */
  modified?: Array<string | undefined>;
}

export interface PagingRules {
  /**
   * `backward`: read the total, then walk from the last page to the first. The list is ordered so that
   * orders modified during the pull leave the window and shift later items towards the front; walking
   * backwards turns that shift into a harmless re-read instead of a skipped order.
   */
  direction: 'forward' | 'backward';
  firstPage: 0 | 1;
  maxPageSize: number;
  /** Longest window one query may cover. */
  maxWindowMs: number;
  /**
   * How far behind now the window should end so that the platform's index has caught up. Orders the index
   * shows later than this are still read, by the next run's overlap (PULL_OVERLAP), only later.
   */
  lagMs: number;
  /**
   * How often a shop of this platform pulls unless it sets its own interval (PULL_DEFAULT_INTERVAL overrides
   * it for every platform). `intervalMs + lagMs` plus one run's processing is how late a new order can be
   * read at worst: the README's "Pull defaults" has the arithmetic per platform.
   */
  intervalMs: number;
  /** Whether list items are complete orders (no detail call needed). */
  listHasDetail: boolean;
}

/**
 * Everything Orderly needs to talk to one platform, as pure functions (properties, not methods: they
 * hold no `this` and may be passed around). I/O stays with the caller.
 */
export interface ChannelConnector {
  readonly platform: Exclude<Platform, 'manual'>;
  readonly paging: PagingRules;
  /** The platform's request signature over `params` (which include the system parameters). */
  sign: (params: Readonly<Record<string, string>>, secret: string) => string;
  /** Absent where the platform does not push (JD). */
  verifyPush?: (req: PushRequest, credentials: ShopCredentials) => boolean;
  parsePush?: (rawBody: string) => ParsedPush;
  ackBody?: (outcome: PushOutcome, parsed?: ParsedPush) => PushAck;
  /**
   * The message ids a body names, read leniently and never throwing: a push that cannot be processed is still
   * acknowledged by them where the platform acknowledges message by message (PDD), so it is not redelivered.
   */
  messageIdsOf?: (rawBody: string) => string[];
  /** Maps one order object (the detail response's order, or a list item where that is complete). */
  mapOrder: (order: JsonObject, ctx: MapContext) => MappedOrder;
  buildPullRequest: (query: PullQuery, credentials: ShopCredentials) => SignedRequest;
  buildDetailRequest: (platformOrderId: string, credentials: ShopCredentials, now: Date) => SignedRequest;
  parsePullPage: (rawBody: string, query: PullQuery) => PullPage;
  /** The order object inside a detail response body. */
  parseDetail: (rawBody: string) => JsonObject;
}
