import { DEFAULT_PRICING_CONFIG } from '../pricing/types.js';
import type { RuleSetInput } from './schema.js';

/** Remarks made only of these phrases (and punctuation, spaces, emoji) need no person. */
export const DEFAULT_ROUTINE_REMARKS: readonly string[] = ['请尽快发货', '尽快发货', '快点发货', '早点发货', '尽快发', '谢谢', '谢谢老板', '辛苦了', '麻烦了', '好评'];

/** The review SLA of the default rule set: a manual review untouched for two hours escalates. */
export const DEFAULT_REVIEW_SLA_MINUTES = 120;

/**
 * The rule set published when none is stored (version 1). The built-in checks are ordinary rules an admin may
 * edit, reorder or switch off; the figures that used to be constants (premium carrier from 2,000 yuan, express
 * up to 30 kg, 3 reservation attempts) are rules here too. The merge hold window is not a rule by default: the
 * merge policy setting (`/v1/settings/merge-policy`) gives it unless a merge rule sets one for an order.
 */
export const DEFAULT_RULE_SET: RuleSetInput = {
  description: 'Orderly defaults',
  settings: { reviewSlaMinutes: DEFAULT_REVIEW_SLA_MINUTES, pricing: DEFAULT_PRICING_CONFIG, routineRemarks: [...DEFAULT_ROUTINE_REMARKS] },
  rules: [
    {
      id: 'review.address',
      stage: 'review',
      order: 10,
      enabled: true,
      description: 'Built-in: the address must be complete and the address library must resolve it to one district',
      when: { any: [{ fact: 'addressStatus', op: 'ne', value: 'resolved' }, { fact: 'addressComplete', op: 'eq', value: false }] },
      then: [{ type: 'manual_review', reason: 'address incomplete, ambiguous or not recognised', exception: 'ADDRESS_AMBIGUOUS' }],
    },
    {
      id: 'review.amounts',
      stage: 'review',
      order: 20,
      enabled: true,
      description: 'Built-in: what the buyer paid must equal what the price rules give',
      when: { fact: 'pricingConsistent', op: 'eq', value: false },
      then: [{ type: 'manual_review', reason: 'paid amount differs from the price rules', exception: 'PRICE_MISMATCH' }],
    },
    {
      id: 'review.coupons',
      stage: 'review',
      order: 30,
      enabled: true,
      description: 'Built-in: every coupon used must be known, valid at payment time and applicable',
      when: { fact: 'couponsValid', op: 'eq', value: false },
      then: [{ type: 'manual_review', reason: 'coupon not valid for this order', exception: 'PRICE_MISMATCH' }],
    },
    {
      id: 'review.stock',
      stage: 'review',
      order: 40,
      enabled: true,
      description: 'Built-in: stock sufficient; a short order is approved and waits in the stock queue in its turn',
      when: { fact: 'stockSufficient', op: 'eq', value: false },
      then: [{ type: 'tag', tag: 'stock_short' }],
    },
    {
      id: 'review.blacklist',
      stage: 'review',
      order: 50,
      enabled: true,
      description: 'Blacklisted buyers are held until a person decides',
      when: { fact: 'blacklisted', op: 'eq', value: true },
      then: [{ type: 'hold', reason: 'blacklisted buyer', exception: 'BLACKLISTED' }],
    },
    {
      id: 'review.big-order',
      stage: 'review',
      order: 60,
      enabled: true,
      description: 'Orders of 5,000 yuan or more go to a person',
      when: { fact: 'amountFen', op: 'gte', value: 500_000 },
      then: [{ type: 'manual_review', reason: 'order of 5,000 yuan or more' }],
    },
    {
      id: 'review.buyer-remark',
      stage: 'review',
      order: 70,
      enabled: true,
      description: 'Orders with a buyer remark go to a person, unless it only says routine things (请尽快发货, 谢谢, ...)',
      when: { all: [{ fact: 'hasBuyerRemark', op: 'eq', value: true }, { fact: 'remarkRoutine', op: 'eq', value: false }] },
      then: [{ type: 'manual_review', reason: 'the buyer left a remark' }],
    },
    {
      id: 'priority.vip',
      stage: 'priority',
      order: 10,
      enabled: true,
      description: 'VIP buyers first',
      when: { fact: 'vipLevel', op: 'gte', value: 1 },
      then: [{ type: 'add_priority', value: 10 }],
    },
    {
      id: 'priority.promise',
      stage: 'priority',
      order: 20,
      enabled: true,
      description: 'Orders due to ship within 12 hours of their promise go ahead',
      when: { fact: 'hoursToPromise', op: 'lt', value: 12 },
      then: [{ type: 'add_priority', value: 20 }],
    },
    {
      id: 'priority.amount',
      stage: 'priority',
      order: 30,
      enabled: true,
      description: 'Orders of 1,000 yuan or more go a little ahead',
      when: { fact: 'amountFen', op: 'gte', value: 100_000 },
      then: [{ type: 'add_priority', value: 5 }],
    },
    {
      id: 'split.express-limit',
      stage: 'split',
      order: 10,
      enabled: true,
      description: 'An express parcel heavier than 30 kg goes by freight',
      then: [{ type: 'split_thresholds', maxExpressWeightG: 30_000 }],
    },
    {
      id: 'carrier.premium',
      stage: 'carrier',
      order: 10,
      enabled: true,
      description: 'Parcels worth 2,000 yuan or more go only with a premium carrier',
      then: [{ type: 'premium_from', valueFen: 200_000 }],
    },
    {
      id: 'allocation.reservation-attempts',
      stage: 'allocation',
      order: 10,
      enabled: true,
      description: 'A plan overtaken by other orders is re-planned up to 3 times before the order waits for stock',
      then: [{ type: 'reservation_attempts', attempts: 3 }],
    },
  ],
};
