/**
 * Allocation latency and address parsing throughput, each beside a trivial baseline run on the same data in
 * the same process, so the ratio says what the decision logic costs beyond touching the data at all.
 *
 * Run: npx tsx bench/allocation.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { allRegions, normaliseText, parseAddress, regionCentre, type AddressInput } from '../domain/address/index.js';
import { allocate, type DemandLine, type StockLevel, type Warehouse } from '../domain/fulfilment/index.js';

// A small deterministic generator so every run measures the same inputs.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const rand = lcg(20261111);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const cities = allRegions('city').filter((r) => !r.container);
const WAREHOUSES = 100;
const LINES = 50;
const SKUS = 400;

const warehouses: Warehouse[] = Array.from({ length: WAREHOUSES }, (_, i) => {
  const region = pick(cities);
  return {
    code: `W${String(i).padStart(3, '0')}`,
    regionCode: region.code,
    location: regionCentre(region.code)!,
    active: rand() > 0.05,
    priority: Math.floor(rand() * 5),
    dailyCapacity: 5000,
    currentLoad: Math.floor(rand() * 5200),
    regionsServed: [],
  };
});
const skuCodes = Array.from({ length: SKUS }, (_, i) => `SKU${i}`);
// Each warehouse stocks a fifth of the catalogue, so no warehouse has a whole 50-line order.
const catalogueStock: StockLevel[] = [];
for (const w of warehouses) for (const s of skuCodes) if (rand() < 0.2) catalogueStock.push({ warehouseCode: w.code, skuCode: s, available: Math.floor(rand() * 20) });
const orderSkus = [...skuCodes].sort(() => rand() - 0.5).slice(0, LINES);
// The stock activity reads rows for the order's SKUs only (WHERE sku_code IN ...), so that is what allocate gets.
const orderSkuSet = new Set(orderSkus);
const stock = catalogueStock.filter((s) => orderSkuSet.has(s.skuCode));
const lines: DemandLine[] = orderSkus.map((skuCode, i) => ({ lineRef: String(i + 1), skuCode, quantity: 1 + Math.floor(rand() * 5) }));
const destRegion = pick(cities);
const request = { orderId: 'bench', destination: { regionCode: destRegion.code, location: regionCentre(destRegion.code)! }, lines };

/**
 * The trivial baseline: index the stock and take each line from the first warehouse that has enough. It builds
 * a fresh map each run like allocate does, so its p99 includes the same garbage-collection pauses.
 */
function naiveAllocate(): number {
  const byKey = new Map<string, number>();
  for (const s of stock) byKey.set(`${s.warehouseCode}|${s.skuCode}`, s.available);
  let assigned = 0;
  for (const l of lines) {
    for (const w of warehouses) {
      const k = `${w.code}|${l.skuCode}`;
      const have = byKey.get(k) ?? 0;
      if (have >= l.quantity) {
        byKey.set(k, have - l.quantity);
        assigned++;
        break;
      }
    }
  }
  return assigned;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function timeRuns(fn: () => unknown, runs: number): { p50: number; p99: number; mean: number } {
  for (let i = 0; i < Math.min(200, runs); i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean: times.reduce((a, b) => a + b, 0) / times.length };
}

function throughput(fn: (i: number) => unknown, ms: number): number {
  for (let i = 0; i < 2000; i++) fn(i);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let k = 0; k < 100; k++) fn(n++);
  }
  return n / ((performance.now() - t0) / 1000);
}

const sample = allocate(request, { warehouses, stock });
const RUNS = 3000;
const real = timeRuns(() => allocate(request, { warehouses, stock }), RUNS);
const base = timeRuns(naiveAllocate, RUNS);

console.log(`allocation: ${LINES} lines over ${WAREHOUSES} warehouses (${stock.length} stock rows for the order's SKUs), ${RUNS} runs`);
console.log(`  result: ${sample.status}, ${sample.warehouses.length} warehouse(s), ${sample.assignments.length} assignment(s), ${sample.shortages.length} short`);
console.log(`  allocate          p50 ${real.p50.toFixed(3)} ms  p99 ${real.p99.toFixed(3)} ms  mean ${real.mean.toFixed(3)} ms  (target p99 <= 2 ms: ${real.p99 <= 2 ? 'met' : 'MISSED'})`);
console.log(`  baseline (naive)  p50 ${base.p50.toFixed(3)} ms  p99 ${base.p99.toFixed(3)} ms  mean ${base.mean.toFixed(3)} ms`);
console.log(`  ratio allocate/baseline  p50 ${(real.p50 / base.p50).toFixed(1)}x  p99 ${(real.p99 / base.p99).toFixed(1)}x`);

// Addresses: a mix of platform-style structured fields and free text, including ambiguous ones.
const districts = allRegions('district');
const addresses: (string | AddressInput)[] = [];
for (let i = 0; i < 1000; i++) {
  const d = pick(districts);
  const city = allRegions('city').find((c) => c.code === d.cityCode)!;
  const province = allRegions('province').find((p) => p.code === d.provinceCode)!;
  const street = `${pick(['人民路', '解放大道', '建设街', '中山路'])}${1 + Math.floor(rand() * 300)}号`;
  const form = i % 4;
  if (form === 0) addresses.push({ province: province.name, city: city.name, district: d.name, detail: street });
  else if (form === 1) addresses.push(`${province.name}${city.name}${d.name}${street}`);
  else if (form === 2) addresses.push({ district: d.name, detail: street });
  else addresses.push(`收货地址：${city.name} ${d.name} ${street}`);
}
const asText = (a: string | AddressInput): string => (typeof a === 'string' ? a : `${a.province ?? ''}${a.city ?? ''}${a.district ?? ''}${a.detail ?? ''}`);
const texts = addresses.map(asText);

const parseRate = throughput((i) => parseAddress(addresses[i % addresses.length]!), 1500);
// Baseline: normalise the same text and cut it at the first 省/市/区 marks, without looking anything up.
const cutRate = throughput((i) => normaliseText(texts[i % texts.length]!).split(/(?<=[省市区县])/u, 3), 1500);
const statuses = new Map<string, number>();
for (const a of addresses) {
  const s = parseAddress(a).status;
  statuses.set(s, (statuses.get(s) ?? 0) + 1);
}
console.log(`address parsing: ${addresses.length} addresses (${[...statuses].map(([k, v]) => `${v} ${k}`).join(', ')})`);
console.log(`  parseAddress       ${Math.round(parseRate).toLocaleString('en')} addresses/s  (${(1e6 / parseRate).toFixed(1)} us each)`);
console.log(`  baseline (split)   ${Math.round(cutRate).toLocaleString('en')} addresses/s  (${(1e6 / cutRate).toFixed(1)} us each)`);
console.log(`  ratio: parseAddress takes ${(cutRate / parseRate).toFixed(1)}x the time of the trivial cut`);
