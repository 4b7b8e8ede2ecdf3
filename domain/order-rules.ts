// Rules about a canonical order that need no schema: usable from workflow code, which must stay free of zod.
import type { Fen } from './money.js';
import type { CanonicalOrder } from './order.js';

type PaymentFields = Pick<CanonicalOrder, 'paidAt' | 'presale'>;

/**
 * When the order became paid as far as processing is concerned, or undefined while it is not: a normal
 * order at `paidAt`; a presale order when its balance is paid, or at its deposit when there is no balance.
 *
 * @example paidAtOf({ paidAt: '2026-11-11T00:00:05Z' }) // '2026-11-11T00:00:05Z'
 */
export function paidAtOf(o: PaymentFields): string | undefined {
  if (o.presale) return o.presale.balancePaidAt ?? (o.presale.balanceFen === 0 ? o.presale.depositPaidAt : undefined);
  return o.paidAt;
}

/**
 * Whether the order is paid as far as processing is concerned (see `paidAtOf`).
 *
 * @example isPaid({ ...order, paidAt: '2026-11-11T00:00:05Z' }) // true
 */
export function isPaid(o: PaymentFields): boolean {
  return paidAtOf(o) !== undefined;
}

/** Total quantity of goods in the order. */
export function totalQuantity(o: Pick<CanonicalOrder, 'lines'>): number {
  return o.lines.reduce((n, l) => n + l.quantity, 0);
}

/** The amount the buyer paid, in fen. */
export function paidAmount(o: Pick<CanonicalOrder, 'amounts'>): Fen {
  return o.amounts.paidFen;
}
