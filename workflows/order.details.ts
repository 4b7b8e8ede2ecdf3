// The order's current details in the Temporal UI (`setCurrentDetails`, markdown): what the run waits for,
// since when and until when, and what exactly holds it. Pure text from the run's state: no SDK calls, so it
// is the same on replay and can be tested on its own. Never buyer data (names, phones, streets).
import type { CompletenessIssue } from '../domain/completeness.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { FulfilmentState, OrderException, ReviewState } from './order.messages.js';

/** What the details are made of; `OrderRun` fills it from its parts. */
export interface OrderDetailsInput {
  status: OrderStatus;
  /** When the run reached its status. */
  since?: string;
  /** The order's one line (`orderSummary`); absent until the order itself arrived. */
  summary?: string;
  /** Before the order: until when the run waits for it, and which events came first. */
  orderDueBy?: string;
  earlyEvents?: readonly string[];
  paymentDeadline?: string;
  presale?: boolean;
  depositPaidAt?: string;
  holdReason?: string;
  /** A timed hold's end. */
  holdUntil?: string;
  closedReason?: string;
  issues: readonly CompletenessIssue[];
  /** Lines with a refund in progress (`*`: the whole order). */
  refunding?: readonly string[];
  review?: ReviewState;
  exceptions: readonly OrderException[];
  fulfilment?: Readonly<FulfilmentState>;
  /** A short order's next re-plan if no stock arrives before. */
  nextReplanAt?: string;
}

/** Lists in the details stop after this many items (`and N more`), so the text stays small. */
const MAX_ITEMS = 10;

/**
 * A UTC instant as the details show it: `2026-06-01 10:30:00 UTC` (the input unchanged when not an instant).
 *
 * @example formatInstant('2026-06-01T10:30:00.000Z') // '2026-06-01 10:30:00 UTC'
 */
export function formatInstant(iso: string | undefined): string {
  if (!iso) return '(unknown)';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

function list<T>(items: readonly T[], show: (x: T) => string, sep = ', '): string {
  const shown = items.slice(0, MAX_ITEMS).map(show).join(sep);
  return items.length > MAX_ITEMS ? `${shown}${sep}and ${items.length - MAX_ITEMS} more` : shown;
}

const code = (s: string) => `\`${s}\``;

/** The run's wait, by status: what it waits for, until when, and what blocks it. */
function waitLines(v: OrderDetailsInput): string[] {
  const f = v.fulfilment;
  switch (v.status) {
    case 'received':
      return v.orderDueBy
        ? [`waiting for the order itself until ${formatInstant(v.orderDueBy)}${v.earlyEvents?.length ? ` (${[...new Set(v.earlyEvents)].join(', ')} came first)` : ''}; closed then`]
        : [];
    case 'awaiting_payment':
      return [`waiting for ${v.presale ? 'the deposit' : 'payment'} until ${formatInstant(v.paymentDeadline)}; closed unpaid then`];
    case 'deposit_paid':
      return [`deposit paid${v.depositPaidAt ? ` ${formatInstant(v.depositPaidAt)}` : ''}; balance due ${formatInstant(v.paymentDeadline)}`];
    case 'paid':
      return ['paid: validation and review'];
    case 'pending_review': {
      const p = v.review?.pending;
      if (!p) return ['waiting for a reviewer'];
      return [
        `waiting for a reviewer since ${formatInstant(p.since)}: ${list(p.reasons, (r) => r, '; ')}`,
        `review SLA due ${formatInstant(p.slaDueAt)}${p.escalated ? ' (overdue: escalated)' : ''}`,
      ];
    }
    case 'on_hold':
      return holdLines(v);
    case 'short': {
      const shortages = f?.shortages ?? [];
      const skus = [...new Set(shortages.map((s) => s.skuCode))];
      return [
        shortages.length
          ? `short of ${list(shortages, (s) => `${code(s.skuCode)} × ${s.short} (line ${s.lineRef}, ${s.availableAnywhere} left in all warehouses)`)}`
          : 'short: stock kept being taken by other orders',
        `waiting in the stock queue${skus.length > 1 ? 's' : ''}${skus.length ? ` of ${list(skus, code)}` : ''}: re-planned as soon as stock arrives${v.nextReplanAt ? `, else at ${formatInstant(v.nextReplanAt)}` : ''}`,
      ];
    }
    case 'allocated':
      return ['allocated: the packages wait in their hold windows for other orders of the buyer, then go to the warehouse'];
    case 'released':
      return ['with the warehouse: waiting for the parcels to ship'];
    case 'shipped':
      return ['shipped'];
    case 'shipped_elsewhere':
    case 'closed':
    case 'cancelled':
      return v.closedReason ? [`${v.status.replace('_', ' ')}: ${v.closedReason}`] : [];
    default:
      return [];
  }
}

function holdLines(v: OrderDetailsInput): string[] {
  const blocking = v.issues.filter((i) => i.severity === 'blocking');
  if (v.holdReason === 'incomplete' && blocking.length) {
    return [`on hold, incomplete: ${list(blocking, (i) => `${code(i.field)} (${i.code})`)}; waiting for the platform's fix or a person`];
  }
  if (v.holdReason === 'refund in progress') {
    const lines = v.refunding ?? [];
    return [`on hold, refund in progress on ${lines.includes('*') || lines.length === 0 ? 'the whole order' : `line(s) ${list(lines, (l) => l)}`}; waiting for the refund to close or be paid out`];
  }
  const packages = v.fulfilment?.packages ?? [];
  if (v.holdReason === 'shipment failed') {
    const failed = packages.filter((p) => p.status === 'failed' || p.status === 'intercepted');
    return [`on hold, the warehouse did not ship ${list(failed, (p) => `${code(p.packageId)} (${p.failureReason ?? p.status})`)}; waiting for a person: re-ship, refund or cancel`];
  }
  if (v.holdReason === 'awaiting interception') {
    const asked = packages.filter((p) => p.status === 'intercept_requested');
    return [`cancelled, waiting for the warehouse to stop ${list(asked, (p) => code(p.packageId))}`];
  }
  return [`on hold: ${v.holdReason ?? 'waiting for a person'}${v.holdUntil ? ` until ${formatInstant(v.holdUntil)}` : ''}`];
}

/** Packages, transfers, back-ordered lines and open exceptions: shown whatever the status. */
function partLines(v: OrderDetailsInput): string[] {
  const out: string[] = [];
  const f = v.fulfilment;
  const packages = (f?.packages ?? []).filter((p) => p.status !== 'left' && p.status !== 'reshipped');
  for (const p of packages.slice(0, MAX_ITEMS)) {
    const parts = [`package ${code(`package:${p.packageId}`)}`, p.warehouseCode, p.status];
    if (p.status === 'joined' && p.windowEnd) parts.push(`hold window until ${formatInstant(p.windowEnd)}`);
    if (p.carrierCode) parts.push(p.trackingNo ? `${p.carrierCode} ${code(p.trackingNo)}` : p.carrierCode);
    if (p.mergedWith.length) parts.push(`shared with ${p.mergedWith.length} other order(s)`);
    out.push(parts.join(' · '));
  }
  if (packages.length > MAX_ITEMS) out.push(`and ${packages.length - MAX_ITEMS} more packages`);
  const transfers = (f?.transfers ?? []).filter((t) => t.status !== 'received' && t.status !== 'cancelled');
  if (transfers.length) {
    out.push(
      `waiting for transfers: ${list(transfers, (t) => `${code(`transfer:${t.transferId}`)} ${t.quantity} × ${code(t.skuCode)} ${t.fromWarehouseCode} → ${t.toWarehouseCode} · ${t.status}${t.expectedArrival ? ` · expected ${formatInstant(t.expectedArrival)}` : ''}`, '; ')}`,
    );
  }
  if (f?.backorder?.length) out.push(`back-ordered: ${list(f.backorder, (l) => `line ${l.lineRef} (${code(l.skuCode)} × ${l.quantity})`)}: they ship in a later parcel once in stock`);
  for (const e of v.exceptions.filter((x) => !x.resolved).slice(0, 5)) {
    const next = e.levels.find((l) => l.level > e.level);
    const owner = e.levels.find((l) => l.level === e.level)?.ownerRole;
    out.push(
      `exception ${e.type} ${code(e.id)} · level ${e.level}${owner ? ` (${owner})` : ''} · due ${formatInstant(e.dueAt)}${next ? ` · level ${next.level} (${next.ownerRole}) at ${formatInstant(next.at)}` : ''}`,
    );
  }
  return out;
}

/**
 * The run's current details, markdown: the status and since when, the order's line, then one item per thing
 * the run waits for or that holds it.
 *
 * @example orderDetails({ status: 'awaiting_payment', paymentDeadline: '2026-06-01T10:30:00.000Z', issues: [], exceptions: [] })
 *   // '**awaiting_payment**\n\norder not received yet\n\n- waiting for payment until 2026-06-01 10:30:00 UTC; closed unpaid then'
 */
export function orderDetails(v: OrderDetailsInput): string {
  const head = `**${v.status}**${v.since ? ` since ${formatInstant(v.since)}` : ''}`;
  const items = [...waitLines(v), ...partLines(v)];
  return [head, '', v.summary ?? 'order not received yet', ...(items.length ? ['', ...items.map((i) => `- ${i}`)] : [])].join('\n');
}
