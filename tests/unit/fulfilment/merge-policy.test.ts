import { describe, expect, it } from 'vitest';
import { DEFAULT_MERGE_POLICY, holdFor, openOrderStatuses, type MergePolicy } from '../../../domain/fulfilment/merge.js';
import { mergePolicyFrom, mergePolicyInput } from '../../../domain/fulfilment/merge-policy.js';

const policy = (hold: MergePolicy['hold']): MergePolicy => ({ ...DEFAULT_MERGE_POLICY, hold, holdWindowMs: 60_000 });

describe('holdFor', () => {
  it('holds for a buyer with other open orders only, under the default mode', () => {
    expect(holdFor(policy('when_buyer_has_open_orders'), { mergeable: true, buyerOpenOrders: 0 }).holdMs).toBe(0);
    expect(holdFor(policy('when_buyer_has_open_orders'), { mergeable: true, buyerOpenOrders: 2 })).toEqual({ holdMs: 60_000, reason: expect.stringMatching(/2 other open order/) });
  });
  it('holds every mergeable package under always, none under never, and never one that may not merge', () => {
    expect(holdFor(policy('always'), { mergeable: true, buyerOpenOrders: 0 }).holdMs).toBe(60_000);
    expect(holdFor(policy('never'), { mergeable: true, buyerOpenOrders: 5 }).holdMs).toBe(0);
    for (const mode of ['always', 'when_buyer_has_open_orders', 'never'] as const) expect(holdFor(policy(mode), { mergeable: false, buyerOpenOrders: 5 }).holdMs).toBe(0);
  });
});

describe('openOrderStatuses', () => {
  it('counts orders not yet in a package; deposit-paid presale only for a presale parcel', () => {
    expect(openOrderStatuses(false)).toEqual(['received', 'awaiting_payment', 'paid', 'pending_review', 'on_hold', 'short']);
    expect(openOrderStatuses(true)).toContain('deposit_paid');
    for (const s of ['allocated', 'released', 'shipped', 'closed', 'cancelled'] as const) expect(openOrderStatuses(true)).not.toContain(s);
  });
});

describe('mergePolicyFrom', () => {
  it('is the default with the deployment window when nothing (or something unreadable) is stored', () => {
    expect(mergePolicyFrom(undefined, 5000)).toEqual({ ...DEFAULT_MERGE_POLICY, holdWindowMs: 5000 });
    expect(mergePolicyFrom({ value: { hold: 'sometimes' }, version: 4 }, 5000)).toEqual({ ...DEFAULT_MERGE_POLICY, holdWindowMs: 5000 });
    expect(DEFAULT_MERGE_POLICY.hold).toBe('when_buyer_has_open_orders');
  });
  it('takes the stored id, version, mode and window (the deployment window when it has none)', () => {
    expect(mergePolicyFrom({ value: { id: 'm.x', hold: 'always', holdWindowSeconds: 90 }, version: 3 }, 5000)).toMatchObject({ id: 'm.x', version: 3, hold: 'always', holdWindowMs: 90_000 });
    expect(mergePolicyFrom({ value: { id: 'm.y', hold: 'never' }, version: 1 }, 5000)).toMatchObject({ holdWindowMs: 5000, hold: 'never' });
  });
  it('rejects unknown fields and bad windows', () => {
    expect(mergePolicyInput.safeParse({ hold: 'always', holdWindow: 5 }).success).toBe(false);
    expect(mergePolicyInput.safeParse({ hold: 'always', holdWindowSeconds: -1 }).success).toBe(false);
    expect(mergePolicyInput.safeParse({ hold: 'always' }).data).toEqual({ id: 'merge.configured', hold: 'always' });
  });
});
