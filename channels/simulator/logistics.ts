import type { SimPlatform } from './generator.js';

/**
 * The logistics company lists of the fake platforms: the codes and ids each one accepts in a shipment call,
 * as its real counterpart's company list API would give them (Taobao and Douyin codes, JD and PDD numeric
 * ids). A write-back with anything else is refused the way the platform refuses an unknown company.
 */
export const SIM_LOGISTICS_COMPANIES: Readonly<Record<SimPlatform, ReadonlySet<string>>> = {
  taobao: new Set(['SF', 'ZTO', 'YTO', 'STO', 'YUNDA', 'EMS', 'POSTB', 'JD', 'DBKD', 'JTSD', 'HTKY']),
  jd: new Set(['467', '1499', '463', '470', '1327', '465', '2087', '3046', '1274']),
  douyin: new Set(['shunfeng', 'zhongtong', 'yuantong', 'shentong', 'yunda', 'ems', 'youzhengguonei', 'jd', 'debangkuaidi', 'jtexpress']),
  pdd: new Set(['44', '115', '85', '1', '121', '118', '132', '120', '131', '384']),
};
