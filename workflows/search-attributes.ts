import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
