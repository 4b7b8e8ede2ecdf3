import { regionCentre } from '../../../domain/address/geo.js';
import type { Carrier, Destination, Sku, Warehouse } from '../../../domain/fulfilment/types.js';

export function centre(code: string): { lat: number; lng: number } {
  const c = regionCentre(code);
  if (!c) throw new Error(`no centre for ${code}`);
  return c;
}

export function warehouse(code: string, regionCode: string, over: Partial<Warehouse> = {}): Warehouse {
  return {
    code,
    regionCode,
    location: centre(regionCode),
    active: true,
    priority: 10,
    dailyCapacity: 1000,
    currentLoad: 0,
    regionsServed: [],
    ...over,
  };
}

export const BJ = warehouse('BJ', '110105');
export const TJ = warehouse('TJ', '120101');
export const SH = warehouse('SH', '310104');
export const GZ = warehouse('GZ', '440106');
export const CD = warehouse('CD', '510104');
export const ALL = [BJ, TJ, SH, GZ, CD];

export function dest(regionCode: string): Destination {
  return { regionCode, location: centre(regionCode) };
}

export function sku(code: string, over: Partial<Sku> = {}): Sku {
  return { code, weightG: 500, volumeCm3: 1000, bulky: false, valueFen: 9900, substitutes: [], ...over };
}

export function carrier(code: string, over: Partial<Carrier> = {}): Carrier {
  return {
    code,
    services: ['express'],
    regionsCovered: [],
    minWeightG: 0,
    maxWeightG: 30_000,
    premium: false,
    active: true,
    rates: [{ service: 'express', regions: [], firstWeightG: 1000, firstFen: 800, stepG: 1000, stepFen: 200 }],
    ...over,
  };
}
