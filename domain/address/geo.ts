import coords from './region-coords.json' with { type: 'json' };
import { getRegion } from './divisions.js';

export interface LatLng {
  readonly lat: number;
  readonly lng: number;
}

const points: Readonly<Record<string, readonly number[] | undefined>> = coords.points;
const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number): number => (deg * Math.PI) / 180;

/**
 * Great-circle distance in kilometres. Straight-line distance is what the leading order routers use as
 * "closest": road distance would need a routing service and changes the ranking little at this scale.
 *
 * @example Math.round(haversineKm({ lat: 39.905, lng: 116.405 }, { lat: 39.126, lng: 117.190 })) // 110
 */
export function haversineKm(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The centre point of a region: its own point when the table has one, else its city's, else its province's.
 * Returns undefined for an unknown code.
 *
 * @example regionCentre('110000') // { lat: 39.905, lng: 116.4053 }
 * @example regionCentre('320506') // 吴中区 has no own point: Suzhou's
 */
export function regionCentre(code: string): LatLng | undefined {
  const region = getRegion(code);
  if (!region) return undefined;
  for (const c of [code, region.cityCode, region.provinceCode]) {
    const p = c === undefined ? undefined : points[c];
    if (p && p.length === 2) return { lat: p[0]!, lng: p[1]! };
  }
  return undefined;
}
