// The exception model: what can get an order (or a shop) stuck, how bad it is, who owns it and by when it
// must be handled. No zod here: workflows import this module (the policy's schema is in policy.ts).

/** Every kind of problem Orderly routes to a person (or resolves by rule). */
export const EXCEPTION_TYPES = [
  'OUT_OF_STOCK',
  'ADDRESS_AMBIGUOUS',
  'INCOMPLETE_INFO',
  'PAYMENT_FAILED',
  'PRICE_MISMATCH',
  'BLACKLISTED',
  'REFUND_IN_PROGRESS',
  'PLATFORM_CHANGED',
  'SHIPMENT_OVERDUE',
  'WAREHOUSE_REJECTED',
  'INTERCEPT_FAILED',
  'SYNC_FAILING',
  /** A manual review left past its SLA. */
  'REVIEW_OVERDUE',
  /** The review rules or a reviewer rejected the order: someone must cancel it on the platform. */
  'REVIEW_REJECTED',
] as const;
export type ExceptionType = (typeof EXCEPTION_TYPES)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Roles that own exceptions as they escalate. */
export const OWNER_ROLES = ['ops', 'ops_lead', 'warehouse', 'warehouse_lead', 'customer_service', 'finance', 'admin'] as const;
export type OwnerRole = (typeof OWNER_ROLES)[number];

export const EXCEPTION_STATUSES = ['open', 'resolved'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

/**
 * Which type each specific cause (`kind`, as the code that raises it names it) belongs to. A kind not listed
 * falls to its prefix (`channel_*` is a shop whose sync fails), else to INCOMPLETE_INFO.
 */
const TYPE_OF_KIND: Readonly<Record<string, ExceptionType>> = {
  out_of_stock: 'OUT_OF_STOCK',
  address_ambiguous: 'ADDRESS_AMBIGUOUS',
  unroutable: 'ADDRESS_AMBIGUOUS',
  incomplete: 'INCOMPLETE_INFO',
  incomplete_info: 'INCOMPLETE_INFO',
  payment_failed: 'PAYMENT_FAILED',
  balance_overdue: 'PAYMENT_FAILED',
  price_mismatch: 'PRICE_MISMATCH',
  blacklisted: 'BLACKLISTED',
  refund: 'REFUND_IN_PROGRESS',
  changed_after_release: 'PLATFORM_CHANGED',
  platform_changed: 'PLATFORM_CHANGED',
  shipment_overdue: 'SHIPMENT_OVERDUE',
  shipment_failed: 'WAREHOUSE_REJECTED',
  warehouse_rejected: 'WAREHOUSE_REJECTED',
  intercept_failed: 'INTERCEPT_FAILED',
  review_overdue: 'REVIEW_OVERDUE',
  review_rejected: 'REVIEW_REJECTED',
};

/**
 * The exception type of a specific cause.
 *
 * @example exceptionTypeOf('channel_writeback_rejected') // 'SYNC_FAILING'
 * @example exceptionTypeOf('intercept_failed') // 'INTERCEPT_FAILED'
 */
export function exceptionTypeOf(kind: string): ExceptionType {
  const direct = TYPE_OF_KIND[kind];
  if (direct) return direct;
  if (kind.startsWith('channel_')) return 'SYNC_FAILING';
  return 'INCOMPLETE_INFO';
}

/** One escalation step: after `afterMinutes` from opening, the exception is at `level` and owned by `ownerRole`. */
export interface EscalationStep {
  readonly level: 1 | 2 | 3;
  readonly afterMinutes: number;
  readonly ownerRole: OwnerRole;
}

/** What happens once the last level has passed as well, for types where a seller wants it to. */
export const FINAL_ACTIONS = ['none', 'close_unpaid', 'ship_available', 'cancel_order'] as const;
export type FinalAction = (typeof FINAL_ACTIONS)[number];

/**
 * Resolutions a policy may apply by itself, as soon as the exception's suggestions propose one (the best
 * ranked of that action is taken with its parameters): each is recorded like a person's, by `policy`.
 */
export const AUTO_RESOLVE_ACTIONS = ['ship_available', 'ship_from_warehouse', 'substitute_sku', 'reship', 'choose_address'] as const;
export type AutoResolveAction = (typeof AUTO_RESOLVE_ACTIONS)[number];

export interface AutoResolve {
  readonly action: AutoResolveAction;
  /** Only for these shops (e.g. those whose buyers accept split shipments); absent: every shop. */
  readonly shops?: readonly string[];
}

/** How one type is handled: severity, first owner, the SLA (level 0's due time) and the escalation ladder. */
export interface TypePolicy {
  readonly severity: Severity;
  /** Who owns a new exception of this type. */
  readonly ownerRole: OwnerRole;
  /** Minutes from opening until it is due (and escalates to level 1). */
  readonly slaMinutes: number;
  /** Levels 1..3, in order, each later than the SLA. */
  readonly escalation: readonly EscalationStep[];
  readonly finalAction: FinalAction;
  /** Minutes after the last level before the final action applies. */
  readonly finalActionAfterMinutes?: number;
  /** A resolution applied at once whenever a suggestion proposes it. */
  readonly autoResolve?: AutoResolve;
}

/** The exception policy: per type, plus how long before a promised ship time SHIPMENT_OVERDUE warns. */
export interface ExceptionPolicy {
  readonly id: string;
  readonly version: number;
  readonly types: Readonly<Record<ExceptionType, TypePolicy>>;
  readonly shipmentWarningMinutes: number;
}

const ladder = (sla: number, l1: OwnerRole, l2: OwnerRole, l3: OwnerRole): EscalationStep[] => [
  { level: 1, afterMinutes: sla, ownerRole: l1 },
  { level: 2, afterMinutes: sla * 2, ownerRole: l2 },
  { level: 3, afterMinutes: sla * 4, ownerRole: l3 },
];

const type = (severity: Severity, ownerRole: OwnerRole, slaMinutes: number, l: [OwnerRole, OwnerRole, OwnerRole], finalAction: FinalAction = 'none'): TypePolicy => ({
  severity,
  ownerRole,
  slaMinutes,
  escalation: ladder(slaMinutes, ...l),
  finalAction,
});

/**
 * The default policy (version 0 until a seller stores one): stock problems within 2 hours, payment within 1,
 * a failed parcel or interception within 30 minutes; escalating to the team lead, then admin.
 */
export const DEFAULT_EXCEPTION_POLICY: ExceptionPolicy = {
  id: 'exceptions.default',
  version: 0,
  shipmentWarningMinutes: 120,
  types: {
    OUT_OF_STOCK: type('high', 'ops', 120, ['ops_lead', 'ops_lead', 'admin']),
    ADDRESS_AMBIGUOUS: type('medium', 'customer_service', 120, ['ops', 'ops_lead', 'admin']),
    INCOMPLETE_INFO: type('medium', 'customer_service', 120, ['ops', 'ops_lead', 'admin']),
    // An overdue presale balance: reminded and escalated, then closed unpaid once the last level has passed.
    PAYMENT_FAILED: type('high', 'finance', 60, ['ops_lead', 'ops_lead', 'admin'], 'close_unpaid'),
    PRICE_MISMATCH: type('high', 'finance', 60, ['ops_lead', 'ops_lead', 'admin']),
    BLACKLISTED: type('medium', 'customer_service', 240, ['ops_lead', 'ops_lead', 'admin']),
    REFUND_IN_PROGRESS: type('medium', 'customer_service', 240, ['ops', 'ops_lead', 'admin']),
    PLATFORM_CHANGED: type('high', 'ops', 30, ['ops_lead', 'warehouse_lead', 'admin']),
    SHIPMENT_OVERDUE: type('critical', 'warehouse', 30, ['warehouse_lead', 'ops_lead', 'admin']),
    WAREHOUSE_REJECTED: type('high', 'warehouse', 30, ['warehouse_lead', 'ops_lead', 'admin']),
    INTERCEPT_FAILED: type('high', 'customer_service', 30, ['ops_lead', 'ops_lead', 'admin']),
    SYNC_FAILING: type('critical', 'admin', 15, ['admin', 'admin', 'admin']),
    REVIEW_OVERDUE: type('medium', 'ops_lead', 60, ['ops_lead', 'admin', 'admin']),
    REVIEW_REJECTED: type('medium', 'customer_service', 240, ['ops_lead', 'ops_lead', 'admin']),
  },
};

/** When an exception opened at `openedAt` is due, and at which instants it reaches each escalation level. */
export interface ExceptionSchedule {
  readonly dueAt: string;
  readonly levels: readonly { readonly level: 1 | 2 | 3; readonly at: string; readonly ownerRole: OwnerRole }[];
  readonly finalAction?: { readonly action: Exclude<FinalAction, 'none'>; readonly at: string };
}

/**
 * The SLA schedule of a new exception under a policy.
 *
 * @example scheduleFor('OUT_OF_STOCK', '2026-11-11T00:00:00Z', DEFAULT_EXCEPTION_POLICY).dueAt // '2026-11-11T02:00:00.000Z'
 */
export function scheduleFor(t: ExceptionType, openedAt: string, policy: ExceptionPolicy = DEFAULT_EXCEPTION_POLICY): ExceptionSchedule {
  const p = policy.types[t];
  const at = (minutes: number) => new Date(Date.parse(openedAt) + minutes * 60_000).toISOString();
  const last = p.escalation.reduce((m, s) => Math.max(m, s.afterMinutes), p.slaMinutes);
  return {
    dueAt: at(p.slaMinutes),
    levels: p.escalation.map((s) => ({ level: s.level, at: at(s.afterMinutes), ownerRole: s.ownerRole })),
    ...(p.finalAction !== 'none' ? { finalAction: { action: p.finalAction, at: at(last + (p.finalActionAfterMinutes ?? 0)) } } : {}),
  };
}
