import type { LatLng } from '../address/geo.js';
import type { Fen } from '../money.js';

/** How a parcel travels: bulky goods go by freight (快运), everything else by express (快递). */
export type LogisticsClass = 'express' | 'freight';

export interface Warehouse {
  readonly code: string;
  /** Six-digit region code of the warehouse's district or city. */
  readonly regionCode: string;
  readonly location: LatLng;
  readonly active: boolean;
  /** Lower comes first when everything else is equal. */
  readonly priority: number;
  /** Orders the warehouse can ship in a day (its own calendar day, in its time zone). */
  readonly dailyCapacity: number;
  /** Orders allocated to it so far on its calendar day today (and not cancelled before reaching it). */
  readonly currentLoad: number;
  /** Region codes (province, city or district) it ships to; empty means everywhere. */
  readonly regionsServed: readonly string[];
}

export interface StockLevel {
  readonly warehouseCode: string;
  readonly skuCode: string;
  /** On hand minus reserved: what may still be promised. */
  readonly available: number;
}

export interface Sku {
  readonly code: string;
  readonly weightG: number;
  readonly volumeCm3: number;
  readonly bulky: boolean;
  readonly valueFen: Fen;
  /** SKUs that may replace this one, best first; used by exception suggestions. */
  readonly substitutes: readonly string[];
}

export interface CarrierRate {
  readonly service: LogisticsClass;
  /** Destination region codes this rate applies to; empty means the default rate. The longest match wins. */
  readonly regions: readonly string[];
  readonly firstWeightG: number;
  readonly firstFen: Fen;
  readonly stepG: number;
  readonly stepFen: Fen;
}

export interface Carrier {
  readonly code: string;
  readonly services: readonly LogisticsClass[];
  /** Region codes it delivers to; empty means everywhere. */
  readonly regionsCovered: readonly string[];
  readonly minWeightG: number;
  readonly maxWeightG: number;
  /** Insured, signature-on-delivery service suitable for high-value parcels. */
  readonly premium: boolean;
  readonly active: boolean;
  readonly rates: readonly CarrierRate[];
}

/** Where an order is going, as the address library resolved it. */
export interface Destination {
  readonly regionCode: string;
  readonly location: LatLng;
}

export interface DemandLine {
  /** Identifies the order line (its platform line id or its index). */
  readonly lineRef: string;
  readonly skuCode: string;
  readonly quantity: number;
}

/**
 * Whether `regionCode` lies in one of `regions` (codes at any level); an empty list covers everything.
 * Region codes nest by prefix once their trailing zeros are dropped (110000 > 110100 > 110105).
 *
 * @example regionMatches('110105', ['110000']) // true
 */
export function regionMatches(regionCode: string, regions: readonly string[]): boolean {
  if (regions.length === 0) return true;
  return regions.some((r) => regionCode.startsWith(regionPrefix(r)));
}

/**
 * The significant part of a region code: 110000 -> 11, 110100 -> 1101, 110105 -> 110105.
 *
 * @example regionPrefix('440300') // '4403'
 */
export function regionPrefix(code: string): string {
  if (code.endsWith('0000')) return code.slice(0, 2);
  if (code.endsWith('00')) return code.slice(0, 4);
  return code;
}
