// The order's review stage on the time-skipping test server: the rules' verdict, a reviewer's decision through
// the `reviewDecision` update (validated: only a pending review, only once), the SLA escalation, timed holds
// and a platform change that sends the order back through review.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reviewDecisionUpdate } from '../../workflows/order.messages.js';
import { ExceptionTypeKey, PriorityKey } from '../../workflows/search-attributes.js';
import { MINUTE, startTimeSkipping, waitFor, withWorker } from '../helpers/time-skipping.js';
import { approvedReview, dispatcher, orderHandle, orderState, readModelMocks, shortThenPlannedMocks, statusesOn, timeOf, type ActivityInput, type ActivityOutput, refused, startPaidOrder } from './mocks.js';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await startTimeSkipping();
});
afterEach(async () => {
  await env?.teardown();
});

const manual = (reason: string, priority = 0) =>
  approvedReview({
    verdict: { kind: 'manual_review', reasons: [reason] },
    priority,
    slaMinutes: 30,
    fired: [{ ruleId: 'review.big-order', ruleSetVersion: 1, stage: 'review', why: 'amountFen 650000 gte 500000', actions: ['manual_review(order of 5,000 yuan or more)'] }],
  });

function reviewMocks(answers: Array<ActivityOutput<'reviewOrder'>>) {
  const reviewOrder = vi.fn(async (input: ActivityInput<'reviewOrder'>): Promise<ActivityOutput<'reviewOrder'>> => answers[Math.min(input.reviewNo, answers.length) - 1]!);
  return {
    reviewOrder,
    recordReviewDecision: vi.fn(async (_i: ActivityInput<'recordReviewDecision'>): Promise<ActivityOutput<'recordReviewDecision'>> => ({ recorded: true })),
    escalateReview: vi.fn(async (_i: ActivityInput<'escalateReview'>): Promise<ActivityOutput<'escalateReview'>> => ({ escalated: true })),
    openOrderException: vi.fn(async (_i: ActivityInput<'openOrderException'>): Promise<ActivityOutput<'openOrderException'>> => ({ created: true })),
  };
}

const start = (taskQueue: string) => startPaidOrder(env, taskQueue);

describe('the review stage', () => {
  it('goes straight on when the rules approve, with the priority they set on the order', async () => {
    const rm = readModelMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    const review = reviewMocks([approvedReview({ priority: 15, rules: { ...approvedReview().rules, merge: { neverMerge: true } } })]);
    await withWorker(env, { ...rm.activities, ...f, ...review }, async (tq) => {
      const { orderId } = await start(tq);
      const s = await waitFor(() => orderState(env, orderId), (x) => x.status === 'allocated', 'allocated');
      expect(statusesOn(s)).toEqual(['paid', 'allocated']);
      expect(s.review).toMatchObject({ reviewNo: 1, ruleSetVersion: 1, verdict: { kind: 'approve' }, priority: 15 });
      expect(s.timeline.map((e) => e.type)).toContain('reviewed');
      // The review's decisions reach fulfilment: the priority orders the stock queue, the merge rule the package.
      expect(f.planFulfilment.mock.calls[0]![0]).toMatchObject({ priority: 15, rules: { merge: { neverMerge: true } } });
      expect((await orderHandle(env, orderId).describe()).typedSearchAttributes.get(PriorityKey)).toBe(15);
      // Approved orders do not wait: allocation comes in the same workflow second as the review.
      expect(timeOf(s, 'status:allocated') - timeOf(s, 'reviewed')).toBeLessThan(1000);
    });
  });

  it('waits for a reviewer, escalates once after the SLA, and takes exactly one decision', async () => {
    const rm = readModelMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    const review = reviewMocks([manual('order of 5,000 yuan or more', 10)]);
    await withWorker(env, { ...rm.activities, ...f, ...review }, async (tq) => {
      const { orderId } = await start(tq);
      const handle = orderHandle(env, orderId);
      const pending = await waitFor(() => orderState(env, orderId), (x) => x.status === 'pending_review', 'pending review');
      expect(pending.review?.pending).toMatchObject({ reasons: ['order of 5,000 yuan or more'], escalated: false });
      expect(pending.holdReason).toBe('order of 5,000 yuan or more');
      expect((await handle.describe()).typedSearchAttributes.get(ExceptionTypeKey)).toBe('MANUAL_REVIEW');
      expect(f.planFulfilment).not.toHaveBeenCalled();

      // Not overdue before 30 minutes; escalated once after.
      await env.sleep(25 * MINUTE);
      expect(review.escalateReview).not.toHaveBeenCalled();
      await env.sleep(10 * MINUTE);
      await waitFor(() => orderState(env, orderId), (x) => x.review?.pending?.escalated === true, 'escalated');
      expect(review.escalateReview).toHaveBeenCalledTimes(1);
      expect(review.escalateReview.mock.calls[0]![0]).toMatchObject({ orderId, reviewNo: 1, slaMinutes: 30, workflowRaises: true });
      // The REVIEW_OVERDUE exception is the order's own, with SLA timers of its own.
      expect(review.openOrderException).toHaveBeenCalledWith(expect.objectContaining({ orderId, kind: 'review_overdue' }));
      await env.sleep(120 * MINUTE);
      expect(review.escalateReview).toHaveBeenCalledTimes(1);
      expect((await orderState(env, orderId)).status).toBe('pending_review');

      const result = await handle.executeUpdate(reviewDecisionUpdate, { args: [{ decision: 'approve', reviewer: 'li.ops', comment: 'called the buyer' }] });
      expect(result).toEqual({ orderId, reviewNo: 1, decision: 'approve', status: 'approved' });
      expect(await refused(handle.executeUpdate(reviewDecisionUpdate, { args: [{ decision: 'reject', reviewer: 'wang.ops' }] }))).toMatch(/not waiting for a review|already decided/);

      const done = await waitFor(() => orderState(env, orderId), (x) => x.status === 'allocated', 'allocated after approval');
      expect(statusesOn(done)).toEqual(['paid', 'pending_review', 'allocated']);
      expect(done.review?.decision).toMatchObject({ decision: 'approve', reviewer: 'li.ops', reviewNo: 1 });
      expect(done.review?.pending).toBeUndefined();
      expect(review.recordReviewDecision).toHaveBeenCalledWith(expect.objectContaining({ orderId, reviewNo: 1, status: 'approved', reviewer: 'li.ops' }));
      expect((await handle.describe()).typedSearchAttributes.get(ExceptionTypeKey)).toBeUndefined();
    });
  });

  it('refuses a decision while nothing waits for one, and applies a reviewer’s edits before going on', async () => {
    const rm = readModelMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    const review = reviewMocks([manual('address incomplete, ambiguous or not recognised')]);
    await withWorker(env, { ...rm.activities, ...f, ...review }, async (tq) => {
      const { orderId } = await start(tq);
      const handle = orderHandle(env, orderId);
      await waitFor(() => orderState(env, orderId), (x) => x.status === 'pending_review', 'pending review');
      expect(await refused(handle.executeUpdate(reviewDecisionUpdate, { args: [{ decision: 'edit_and_approve', reviewer: 'li.ops' }] }))).toMatch(/needs edits/);
      await handle.executeUpdate(reviewDecisionUpdate, {
        args: [{ decision: 'edit_and_approve', reviewer: 'li.ops', edits: { receiver: { detail: '文三路 478 号华星科技大厦 5 楼' }, sellerMemo: '地址已与买家确认' } }],
      });
      const done = await waitFor(() => orderState(env, orderId), (x) => x.status === 'allocated', 'allocated');
      const plannedOrder = f.planFulfilment.mock.calls[0]![0].order;
      expect(plannedOrder.receiver.detail).toBe('文三路 478 号华星科技大厦 5 楼');
      expect(plannedOrder.sellerMemo).toBe('地址已与买家确认');
      // The reviewer's edit is not a platform change: no second review.
      expect(review.reviewOrder).toHaveBeenCalledTimes(1);
      expect(done.review?.decision?.decision).toBe('edit_and_approve');
      expect(await refused(handle.executeUpdate(reviewDecisionUpdate, { args: [{ decision: 'approve', reviewer: 'li.ops' }] }))).toMatch(/not waiting for a review/);
    });
  });

  it('sends the order back through review when the platform changes it while it waits', async () => {
    const rm = readModelMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    const review = reviewMocks([manual('the buyer left a remark'), approvedReview()]);
    await withWorker(env, { ...rm.activities, ...f, ...review }, async (tq) => {
      const { order, orderId } = await start(tq);
      await waitFor(() => orderState(env, orderId), (x) => x.status === 'pending_review', 'pending review');
      await dispatcher(env, tq, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#memo`, type: 'memo_changed', buyerRemark: '不用了，按原地址发' });
      const done = await waitFor(() => orderState(env, orderId), (x) => x.status === 'allocated', 'allocated after the second review');
      expect(review.reviewOrder).toHaveBeenCalledTimes(2);
      expect(review.reviewOrder.mock.calls[1]![0]).toMatchObject({ reviewNo: 2, ruleSetVersion: 1 });
      expect(done.timeline.map((e) => e.type)).toContain('review_restarted');
      expect(order.platformOrderId).toBeTruthy();
    });
  });

  it('holds an order for the minutes a rule says, then goes on; a rejected one waits on hold for its cancellation', async () => {
    const rm = readModelMocks();
    const f = shortThenPlannedMocks(env, 0, MINUTE);
    const held = reviewMocks([approvedReview({ verdict: { kind: 'hold', reason: 'cooling-off for address changes', minutes: 20 } })]);
    await withWorker(env, { ...rm.activities, ...f, ...held }, async (tq) => {
      const { orderId } = await start(tq);
      const onHold = await waitFor(() => orderState(env, orderId), (x) => x.status === 'on_hold', 'held');
      expect(onHold.holdReason).toBe('cooling-off for address changes');
      await env.sleep(21 * MINUTE);
      const done = await waitFor(() => orderState(env, orderId), (x) => x.status === 'allocated', 'allocated after the hold');
      expect(timeOf(done, 'status:allocated') - timeOf(done, 'status:on_hold')).toBeGreaterThanOrEqual(20 * MINUTE);
    });

    const rejected = reviewMocks([approvedReview({ verdict: { kind: 'reject', reason: 'blacklisted reseller' } })]);
    const f2 = shortThenPlannedMocks(env, 0, MINUTE);
    await withWorker(env, { ...readModelMocks().activities, ...f2, ...rejected }, async (tq) => {
      const { orderId } = await start(tq);
      const s = await waitFor(() => orderState(env, orderId), (x) => x.status === 'on_hold', 'rejected');
      expect(s.holdReason).toBe('rejected by rule: blacklisted reseller');
      expect(rejected.openOrderException).toHaveBeenCalledWith(expect.objectContaining({ orderId, kind: 'review_rejected' }));
      await dispatcher(env, tq, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#cancel`, type: 'cancelled', reason: 'buyer cancelled' });
      const end = await orderHandle(env, orderId).result();
      expect(end.status).toBe('cancelled');
      expect(f2.planFulfilment).not.toHaveBeenCalled();
    });
  });

  it('reviews an approved order again when the platform changes it while it waits for stock', async () => {
    const rm = readModelMocks();
    const f = shortThenPlannedMocks(env, 1, 15 * MINUTE);
    const review = reviewMocks([approvedReview(), manual('the buyer left a remark', 10)]);
    await withWorker(env, { ...rm.activities, ...f, ...review }, async (tq) => {
      const { orderId } = await start(tq);
      await waitFor(() => orderState(env, orderId), (x) => x.status === 'short', 'short');
      await dispatcher(env, tq, 60 * MINUTE).dispatch(orderId, { eventId: `${orderId}#remark`, type: 'memo_changed', buyerRemark: '改发顺丰' });
      const pending = await waitFor(() => orderState(env, orderId), (x) => x.status === 'pending_review', 'back in review');
      expect(pending.review).toMatchObject({ reviewNo: 2, ruleSetVersion: 1 });
      // Not planned again while a person has to look at it.
      expect(f.planFulfilment).toHaveBeenCalledTimes(1);
      await orderHandle(env, orderId).executeUpdate(reviewDecisionUpdate, { args: [{ decision: 'approve', reviewer: 'li.ops' }] });
      const done = await waitFor(() => orderState(env, orderId), (x) => x.status === 'allocated', 'allocated after the second approval');
      // Back to waiting for stock once approved again, then planned at once.
      expect(statusesOn(done)).toEqual(['paid', 'short', 'pending_review', 'short', 'allocated']);
      // The second review's priority is the one the next plan used.
      expect(f.planFulfilment.mock.calls[1]![0]).toMatchObject({ attempt: 2, priority: 10 });
    });
  });
});
