import { randomInt } from 'node:crypto';
import type { CanonicalOrderInput } from '../../domain/order.js';

/** A realistic, valid canonical order with a unique platform order id (paid unless told otherwise). */
export function makeOrder(overrides: Partial<CanonicalOrderInput> = {}): CanonicalOrderInput {
  const id = `${Date.now()}${randomInt(1_000_000, 9_999_999)}`;
  return {
    platform: 'taobao',
    shopId: 'shop-test',
    platformOrderId: id,
    buyerKey: `buyer-${id.slice(-6)}`,
    receiver: { name: '李**', phone: '139****0001', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文三路**号' },
    lines: [
      { lineId: `${id}1`, skuCode: 'TEA-LJ-250', quantity: 2, unitPriceFen: 12800, discountFen: 1000, paidFen: 24600 },
      { lineId: `${id}2`, skuCode: 'MUG-CER-01', quantity: 1, unitPriceFen: 3900, paidFen: 3900 },
    ],
    amounts: { goodsFen: 29500, shippingFen: 0, discountFen: 1000, paidFen: 28500 },
    discounts: [{ kind: 'coupon', amountFen: 1000 }],
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    ...overrides,
  };
}
