import { sql } from 'kysely';
import type { Db } from './database.js';

/**
 * Demo shops, warehouses, SKUs, stock and carriers so a fresh `npm start` can take an order all the way to
 * a package. Idempotent. Without carriers an order is released without allocation (nothing to ship with).
 */
export async function seedDemoData(db: Db, opts: { carriers?: boolean } = {}): Promise<void> {
  await db
    .insertInto('shops')
    .values([
      { id: 'demo-taobao', platform: 'taobao', name: 'Demo Tmall flagship store' },
      { id: 'demo-jd', platform: 'jd', name: 'Demo JD store' },
      { id: 'demo-douyin', platform: 'douyin', name: 'Demo Douyin shop' },
      { id: 'demo-pdd', platform: 'pdd', name: 'Demo Pinduoduo store' },
    ])
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  await db
    .insertInto('warehouses')
    .values([
      { code: 'WH-BJ', name: 'Beijing Daxing', province: '北京市', city: '北京市', district: '大兴区', region_code: '110115', lat: 39.7267, lng: 116.3414, priority: 1, daily_capacity: 20000 },
      { code: 'WH-TJ', name: 'Tianjin Wuqing', province: '天津市', city: '天津市', district: '武清区', region_code: '120114', lat: 39.3842, lng: 117.0443, priority: 2, daily_capacity: 15000 },
      { code: 'WH-SH', name: 'Shanghai Jiading', province: '上海市', city: '上海市', district: '嘉定区', region_code: '310114', lat: 31.3747, lng: 121.2655, priority: 1, daily_capacity: 30000 },
      { code: 'WH-GZ', name: 'Guangzhou Baiyun', province: '广东省', city: '广州市', district: '白云区', region_code: '440111', lat: 23.1574, lng: 113.2732, priority: 1, daily_capacity: 25000 },
      { code: 'WH-CD', name: 'Chengdu Shuangliu', province: '四川省', city: '成都市', district: '双流区', region_code: '510116', lat: 30.5744, lng: 103.9234, priority: 2, daily_capacity: 10000 },
    ])
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  await db
    .insertInto('skus')
    .values([
      { code: 'TEA-LJ-250', name: 'Longjing green tea 250 g', weight_g: 300, volume_cm3: 1200, value_fen: 12800 },
      { code: 'MUG-CER-01', name: 'Ceramic mug', weight_g: 450, volume_cm3: 2000, value_fen: 3900 },
      { code: 'RICE-10KG', name: 'Northeast rice 10 kg', weight_g: 10_200, volume_cm3: 15_000, bulky: true, value_fen: 8900 },
      { code: 'PHONE-X1', name: 'Smartphone X1', weight_g: 420, volume_cm3: 900, value_fen: 399_900 },
      { code: 'SOFA-3S', name: 'Three-seat sofa', weight_g: 55_000, volume_cm3: 1_800_000, bulky: true, value_fen: 459_900 },
      // The rest of the simulator's catalogue, so simulated orders find their SKUs.
      { code: 'PJ-CORAL-L-PINK', name: 'Coral fleece pyjamas L pink', weight_g: 800, volume_cm3: 6000, value_fen: 17900 },
      { code: 'SOCK-WOOL-3', name: 'Wool socks, 3 pairs', weight_g: 200, volume_cm3: 800, value_fen: 3990 },
      { code: 'SNACK-NUT-500', name: 'Daily nuts 500 g', weight_g: 600, volume_cm3: 2500, value_fen: 7900 },
      { code: 'SNACK-DATE-1KG', name: 'Xinjiang red dates 1 kg', weight_g: 1100, volume_cm3: 3000, value_fen: 5900 },
      { code: 'TOWEL-4P', name: 'Cotton towels, 4 pack', weight_g: 700, volume_cm3: 4000, value_fen: 4990 },
      { code: 'RICE-WC-5KG', name: 'Wuchang rice 5 kg', weight_g: 5200, volume_cm3: 7000, value_fen: 8990 },
      { code: 'PHONE-CASE-15', name: 'Clear phone case', weight_g: 60, volume_cm3: 300, value_fen: 1990 },
      { code: 'KETTLE-17L', name: 'Electric kettle 1.7 L', weight_g: 1400, volume_cm3: 9000, value_fen: 12900 },
    ])
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  const stock: [string, string, number][] = [
    ['WH-BJ', 'TEA-LJ-250', 0],
    ['WH-TJ', 'TEA-LJ-250', 120],
    ['WH-SH', 'TEA-LJ-250', 300],
    ['WH-SH', 'MUG-CER-01', 500],
    ['WH-GZ', 'MUG-CER-01', 200],
    ['WH-GZ', 'PHONE-X1', 40],
    ['WH-BJ', 'RICE-10KG', 80],
    ['WH-CD', 'RICE-10KG', 60],
    ['WH-GZ', 'SOFA-3S', 5],
  ];
  for (const sku of ['PJ-CORAL-L-PINK', 'SOCK-WOOL-3', 'SNACK-NUT-500', 'SNACK-DATE-1KG', 'TOWEL-4P', 'RICE-WC-5KG', 'PHONE-CASE-15', 'KETTLE-17L']) {
    for (const wh of ['WH-BJ', 'WH-SH', 'WH-GZ', 'WH-CD']) stock.push([wh, sku, 5000]);
  }
  await db
    .insertInto('inventory')
    .values(stock.map(([w, s, n]) => ({ warehouse_code: w, sku_code: s, on_hand: n, updated_at: sql<Date>`now()` })))
    .onConflict((oc) => oc.columns(['warehouse_code', 'sku_code']).doNothing())
    .execute();
  if (opts.carriers === false) return;
  const nationwide = (firstFen: number, stepFen: number, service: 'express' | 'freight' = 'express') => ({
    service,
    regions: [],
    firstWeightG: service === 'express' ? 1000 : 30_000,
    firstFen,
    stepG: service === 'express' ? 1000 : 10_000,
    stepFen,
  });
  await db
    .insertInto('carriers')
    .values([
      { code: 'YTO', name: 'YTO Express', services: ['express'], regions_covered: [], max_weight_g: 50_000, rates: JSON.stringify([nationwide(800, 200)]) },
      { code: 'ZTO', name: 'ZTO Express', services: ['express'], regions_covered: [], max_weight_g: 50_000, rates: JSON.stringify([nationwide(750, 250)]) },
      { code: 'SF', name: 'SF Express', services: ['express'], regions_covered: [], max_weight_g: 50_000, premium: true, rates: JSON.stringify([nationwide(1800, 500)]) },
      { code: 'DBL', name: 'Deppon Freight', services: ['freight'], regions_covered: [], max_weight_g: 3_000_000, rates: JSON.stringify([nationwide(6000, 1200, 'freight')]) },
    ])
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
}
