import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/** Search attributes every order workflow sets, so ops can filter orders in the Temporal UI. */
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const ChannelKey = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const ShopIdKey = defineSearchAttributeKey('ShopId', SearchAttributeType.KEYWORD);
export const BuyerKeyKey = defineSearchAttributeKey('BuyerKey', SearchAttributeType.KEYWORD);
export const WarehouseKey = defineSearchAttributeKey('Warehouse', SearchAttributeType.KEYWORD);
export const ExceptionTypeKey = defineSearchAttributeKey('ExceptionType', SearchAttributeType.KEYWORD);
export const PriorityKey = defineSearchAttributeKey('Priority', SearchAttributeType.INT);
/** The packages an order joined (their ids; each is the workflow `package:<id>`). */
export const PackageIdsKey = defineSearchAttributeKey('PackageIds', SearchAttributeType.KEYWORD_LIST);

/** Search attributes of package workflows, beside `Warehouse`, `ShopId` and `Channel` shared with orders. */
export const PackageStatusKey = defineSearchAttributeKey('PackageStatus', SearchAttributeType.KEYWORD);
export const CarrierKey = defineSearchAttributeKey('Carrier', SearchAttributeType.KEYWORD);
export const TrackingNoKey = defineSearchAttributeKey('TrackingNo', SearchAttributeType.KEYWORD);

/**
 * Every attribute Orderly's workflows set: registered by the dev server start, on an existing cluster and on
 * the tests' servers. A SQLite-backed dev server holds at most 10 custom Keyword and 3 KeywordList attributes.
 */
export const ORDERLY_SEARCH_ATTRIBUTES = [
  OrderStatusKey,
  ChannelKey,
  ShopIdKey,
  BuyerKeyKey,
  WarehouseKey,
  ExceptionTypeKey,
  PriorityKey,
  PackageIdsKey,
  PackageStatusKey,
  CarrierKey,
  TrackingNoKey,
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
