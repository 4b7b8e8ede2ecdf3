import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/** Search attributes every order workflow sets, so ops can filter orders in the Temporal UI. */
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const ChannelKey = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const ShopIdKey = defineSearchAttributeKey('ShopId', SearchAttributeType.KEYWORD);
export const BuyerKeyKey = defineSearchAttributeKey('BuyerKey', SearchAttributeType.KEYWORD);
export const WarehouseKey = defineSearchAttributeKey('Warehouse', SearchAttributeType.KEYWORD);
export const ExceptionTypeKey = defineSearchAttributeKey('ExceptionType', SearchAttributeType.KEYWORD);
export const PriorityKey = defineSearchAttributeKey('Priority', SearchAttributeType.INT);

export const ORDERLY_SEARCH_ATTRIBUTES = [
  OrderStatusKey,
  ChannelKey,
  ShopIdKey,
  BuyerKeyKey,
  WarehouseKey,
  ExceptionTypeKey,
  PriorityKey,
] as const;

/**
 * The attributes an order's own data fixes (not its progress). The dispatcher sets them with the start when
 * the order's creation starts its workflow; the workflow upserts them only when they are missing.
 */
export function orderAttributes(o: { platform: string; shopId: string; buyerKey: string }): SearchAttributePair[] {
  return [
    { key: ChannelKey, value: o.platform },
    { key: ShopIdKey, value: o.shopId },
    { key: BuyerKeyKey, value: o.buyerKey },
    { key: PriorityKey, value: 0 },
  ];
}
