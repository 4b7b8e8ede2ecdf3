// Gathers what the suggestions of an exception need (stock, substitutes, carriers, the address library's
// candidates) and ranks them (domain/exceptions/suggest.ts). Read-only.
import type { Db } from '../db/database.js';
import { listCarriers, listSkus, listWarehouses, stockLevels, toDomainCarrier } from '../db/stock.repository.js';
import { parseAddress } from '../domain/address/index.js';
import { DEFAULT_TIME_ZONE, localDay } from '../domain/local-day.js';
import { checkCompleteness, type CompletenessIssue } from '../domain/completeness.js';
import type { ExceptionType } from '../domain/exceptions/model.js';
import { suggestFor, type SuggestInput } from '../domain/exceptions/suggest.js';
import type { Suggestion } from '../domain/exceptions/actions.js';
import type { ChangeAfterRelease } from '../domain/order-lifecycle.js';
import type { CanonicalOrder } from '../domain/order.js';

const lineRef = (l: CanonicalOrder['lines'][number], i: number) => l.lineId ?? String(i + 1);
/** A detail field as text ('' when absent or not a string or number). */
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** The cheapest first-weight price among active carriers: what one more parcel costs, roughly (1,000 fen without any). */
async function parcelFreight(db: Db): Promise<number> {
  const prices = (await listCarriers(db)).filter((c) => c.active).flatMap((c) => toDomainCarrier(c).rates.map((r) => r.firstFen));
  return prices.length ? Math.min(...prices) : 1000;
}

/** The suggestion context of one exception, or undefined when the order is not at hand (shop-level exceptions). */
async function contextFor(db: Db, type: ExceptionType, order: CanonicalOrder | undefined, detail: Record<string, unknown>, kind: string, shopId: string): Promise<SuggestInput | undefined> {
  if (type === 'SYNC_FAILING') return { type, kind, shopId };
  if (type === 'REVIEW_OVERDUE') return { type };
  if (!order) return undefined;
  const orderValueFen = order.amounts.paidFen;
  const r = order.receiver;
  switch (type) {
    case 'OUT_OF_STOCK': {
      const codes = [...new Set(order.lines.map((l) => l.skuCode))];
      const skuRows = await listSkus(db, codes);
      const substitutes = [...new Set(skuRows.flatMap((s) => s.substitutes ?? []))];
      const allSkus = substitutes.length ? [...skuRows, ...(await listSkus(db, substitutes))] : skuRows;
      const [stock, warehouses, freight] = await Promise.all([stockLevels(db, [...codes, ...substitutes]), listWarehouses(db), parcelFreight(db)]);
      return {
        type,
        lines: order.lines.map((l, i) => ({ lineRef: lineRef(l, i), skuCode: l.skuCode, quantity: l.quantity, unitValueFen: l.unitPriceFen })),
        stock,
        skus: allSkus.map((s) => ({ code: s.code, substitutes: s.substitutes ?? [], valueFen: s.value_fen })),
        warehouses: warehouses.filter((w) => w.active).map((w) => ({ code: w.code })),
        extraParcelFreightFen: freight,
        transferFreightFen: freight * 2,
        today: localDay(new Date(), DEFAULT_TIME_ZONE),
      };
    }
    case 'ADDRESS_AMBIGUOUS': {
      const parsed = parseAddress({ province: r.province, city: r.city, district: r.district, detail: r.detail });
      return { type, candidates: parsed.candidates.map((c) => ({ code: c.code, province: c.province, ...(c.city ? { city: c.city } : {}), ...(c.district ? { district: c.district } : {}) })) };
    }
    case 'INCOMPLETE_INFO': {
      const issues = (detail.issues as CompletenessIssue[] | undefined) ?? checkCompleteness(order).filter((i) => i.severity === 'blocking');
      return { type, issues: issues.map((i) => ({ code: i.code, field: i.field })), orderValueFen };
    }
    case 'PAYMENT_FAILED':
      // An overdue presale balance has not arrived, whatever the deposit's payment time says.
      return { type, paymentArrived: kind !== 'balance_overdue' && order.paidAt !== undefined, amountDueFen: order.presale?.balanceFen ?? orderValueFen, orderValueFen, stage: order.presale ? 'balance' : 'payment' };
    case 'PRICE_MISMATCH':
      return { type, differenceFen: Number(detail.differenceFen ?? 0), orderValueFen };
    case 'BLACKLISTED':
      return { type, orderValueFen };
    case 'REFUND_IN_PROGRESS': {
      const refs = ((detail.refunding as string[] | undefined) ?? []).map(String);
      const refundFen = refs.length ? order.lines.filter((l, i) => refs.includes(lineRef(l, i))).reduce((n, l) => n + l.paidFen, 0) : orderValueFen;
      return { type, refundingLineRefs: refs, refundFen, orderValueFen };
    }
    case 'PLATFORM_CHANGED': {
      const changes = ((detail.changes as ChangeAfterRelease[] | undefined) ?? []).map((c) => c.kind);
      return { type, changes, parcelStopped: false, reshipFreightFen: await parcelFreight(db), orderValueFen };
    }
    case 'SHIPMENT_OVERDUE':
      return { type, warehouseCode: text(detail.warehouseCode), alternatives: [], orderValueFen };
    case 'WAREHOUSE_REJECTED': {
      const parsed = parseAddress({ province: r.province, city: r.city, district: r.district, detail: r.detail });
      const region = parsed.status === 'resolved' ? parsed.region.code : (parsed.candidates[0]?.code ?? '');
      const carriers = (await listCarriers(db)).map(toDomainCarrier);
      const weightG = Number(detail.weightG ?? 1000);
      return {
        type,
        carrierCode: text(detail.carrierCode),
        parcel: { packageKey: text(detail.packageId) || order.platformOrderId, service: 'express', weightG, valueFen: orderValueFen, destinationRegionCode: region },
        carriers,
        refundFen: orderValueFen,
      };
    }
    case 'INTERCEPT_FAILED':
      return { type, refundFen: orderValueFen, ...(Array.isArray(detail.packages) ? { packageIds: (detail.packages as unknown[]).map(String) } : {}) };
    case 'REVIEW_REJECTED':
      return { type, orderValueFen, ...(typeof detail.reason === 'string' ? { reason: detail.reason } : {}) };
  }
}

/** Ranked suggestions for a new exception; none when its context cannot be gathered (never a failure). */
export async function suggestionsFor(
  db: Db,
  e: { type: ExceptionType; kind: string; shopId: string; order?: CanonicalOrder | undefined; detail: Record<string, unknown> },
): Promise<Suggestion[]> {
  const ctx = await contextFor(db, e.type, e.order, e.detail, e.kind, e.shopId);
  return ctx ? suggestFor(ctx) : [];
}
