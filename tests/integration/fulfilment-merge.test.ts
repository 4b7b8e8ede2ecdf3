import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalOrder } from '../../domain/order.js';
import { fulfilmentQuery } from '../../workflows/order.messages.js';
import { packageStateQuery, packageWorkflowId } from '../../workflows/package.messages.js';
import { get, orderStatusOf, post, seedBasics, submitOrder, teaOrder } from '../helpers/fulfilment.js';
import { createTestStack, eventually, maybeRecordHistory, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
const HOLD_MS = 6000;

beforeAll(async () => {
  stack = await createTestStack({ PACKAGE_HOLD_WINDOW: `${HOLD_MS}ms` });
  await seedBasics(stack, { hz: { 'FZ-TEA': 50, 'FZ-MUG': 50 } });
});
afterAll(async () => {
  await stack?.close();
});

/** A paid order of one buyer to one door; the same buyer and door merge. */
const buyerOrder = (buyer: string, door: string, qty = 1) => teaOrder(buyer, door, { qty });
const submit = (order: ReturnType<typeof teaOrder>) => submitOrder(stack, order);

const orderStatus = (id: string) => orderStatusOf(stack, id);
const fulfilment = (id: string) => stack.client.workflow.getHandle(id).query(fulfilmentQuery);
const packageRow = async (id: string) => (await get(stack, `/v1/packages/${id}`)).body;
const stockOf = async (sku: string) => {
  const row = await stack.db.selectFrom('inventory').select(['on_hand', 'reserved']).where('sku_code', '=', sku).where('warehouse_code', '=', 'FZ-HZ').executeTakeFirstOrThrow();
  return { onHand: row.on_hand, reserved: row.reserved };
};
const reservedFor = (orderId: string) =>
  stack.db.selectFrom('reservations').select(['status', 'quantity']).where('order_id', '=', orderId).execute();

describe('packages: merge, unmerge, interception and shipment on a real Temporal server and PostgreSQL', () => {
  it('merges two orders of one buyer and address into one package and reports its shipment to both', async () => {
    const a = await submit(buyerOrder('buyer-m1', '文三路 88 号'));
    const b = await submit(buyerOrder('buyer-m1', '文三路88号', 2));
    await eventually(async () => [await orderStatus(a), await orderStatus(b)], (s) => s.every((x) => x === 'released'), 30_000, 'both released');

    const [fa, fb] = await Promise.all([fulfilment(a), fulfilment(b)]);
    expect(fa.packages).toHaveLength(1);
    expect(fb.packages.map((p) => p.packageId)).toEqual([fa.packages[0]!.packageId]);
    const packageId = fa.packages[0]!.packageId;
    expect(await stack.client.workflow.getHandle(packageWorkflowId(packageId)).query(packageStateQuery)).toMatchObject({ joined: expect.arrayContaining([a, b]) });

    // The package seals when its window ends and goes to the warehouse with a carrier for the merged parcel.
    const released = await eventually(() => packageRow(packageId), (p) => p.status === 'released', 30_000, 'package released');
    expect(released).toMatchObject({ warehouseCode: 'FZ-HZ', logisticsClass: 'express', carrierCode: 'FZ-YTO' });
    expect(released.members.map((m: { orderId: string }) => m.orderId).sort()).toEqual([a, b].sort());
    await eventually(() => fulfilment(b), (f) => f.packages[0]?.status === 'released' && f.packages[0].mergedWith[0] === a, 20_000, 'member told of release');

    // The merge is in both orders' decision logs: the first opened the package, the second joined the first.
    const merges = await Promise.all(
      [a, b].map(async (id) => (await get(stack, `/v1/orders/${encodeURIComponent(id)}/decisions`)).body.items.find((d: { kind: string }) => d.kind === 'merge')),
    );
    for (const m of merges) expect(m).toMatchObject({ ruleId: 'merge.default', ruleVersion: 2, chosen: [packageId] });
    const joinedOthers = merges.map((m: { candidates: { id: string }[] }) => m.candidates.map((x) => x.id));
    expect(joinedOthers.flat().sort()).toHaveLength(1);
    expect([a, b]).toContain(joinedOthers.flat()[0]);

    // The warehouse reports the shipment once; it reaches every member order.
    const shipped = await post(stack, `/v1/packages/${packageId}/events`, { type: 'shipped', carrierCode: 'FZ-YTO', trackingNo: 'YT1234567890' });
    expect(shipped.status).toBe(202);
    for (const id of [a, b]) {
      await eventually(() => orderStatus(id), (s) => s === 'shipped', 30_000, `${id} shipped`);
      const f = await fulfilment(id);
      expect(f.packages[0]).toMatchObject({ status: 'shipped', carrierCode: 'FZ-YTO', trackingNo: 'YT1234567890' });
      const { body } = await get(stack, `/v1/orders/${encodeURIComponent(id)}`);
      expect(body.timeline.at(-1)).toMatchObject({ type: 'status:shipped', detail: { packages: [{ packageId, carrierCode: 'FZ-YTO', trackingNo: 'YT1234567890' }] } });
      expect(await reservedFor(id)).toEqual([expect.objectContaining({ status: 'consumed' })]);
      expect(await stack.client.workflow.getHandle(id).result()).toEqual({ orderId: id, status: 'shipped' });
    }
    expect(await packageRow(packageId)).toMatchObject({ status: 'shipped', trackingNo: 'YT1234567890' });
    // Three units left the shelf: on hand and reserved both went down.
    expect((await get(stack, '/v1/inventory/FZ-HZ/FZ-TEA')).body).toMatchObject({ onHand: 47, reserved: 0 });
    // The package workflow has finished: a late event is refused.
    const late = await post(stack, `/v1/packages/${packageId}/events`, { type: 'picked' });
    expect(late.status).toBe(409);
    expect(await stack.client.workflow.getHandle(`package:${packageId}`).result()).toEqual({ packageId, status: 'shipped' });
    await maybeRecordHistory(stack.client, `package:${packageId}`, 'package-merged-shipped');
  });

  it('unmerges an order cancelled before sealing, and asks the warehouse to intercept one cancelled after', async () => {
    const c = await submit(buyerOrder('buyer-m2', '莫干山路 1 号'));
    const d = await submit(buyerOrder('buyer-m2', '莫干山路1号'));
    // Both in the package while its hold window is open: allocated, not yet released.
    await eventually(async () => [await orderStatus(c), await orderStatus(d)], (s) => s.every((x) => x === 'allocated'), 30_000, 'both allocated');
    const packageId = (await fulfilment(c)).packages[0]!.packageId;
    expect((await fulfilment(d)).packages[0]!.packageId).toBe(packageId);

    // Before sealing: C leaves the package and its stock is given back.
    const cancel = await post(stack, `/v1/orders/${encodeURIComponent(c)}/events`, { type: 'cancelled', reason: 'buyer changed mind' });
    expect(cancel.status).toBe(202);
    await eventually(() => orderStatus(c), (s) => s === 'cancelled', 20_000, 'C cancelled');
    expect(await reservedFor(c)).toEqual([expect.objectContaining({ status: 'released' })]);
    const afterLeave = await packageRow(packageId);
    expect(afterLeave.status).toBe('open');
    expect(afterLeave.members.find((m: { orderId: string }) => m.orderId === c)).toMatchObject({ status: 'left' });

    // The package seals with D alone.
    const sealed = await eventually(() => packageRow(packageId), (p) => p.status === 'released', 30_000, 'package released');
    expect(sealed.members.filter((m: { status: string }) => m.status === 'joined').map((m: { orderId: string }) => m.orderId)).toEqual([d]);
    const state = await stack.client.workflow.getHandle(packageWorkflowId(packageId)).query(packageStateQuery);
    expect(state.members).toEqual([d]);

    // After sealing: cancelling D asks the warehouse to intercept the parcel.
    await post(stack, `/v1/orders/${encodeURIComponent(d)}/events`, { type: 'cancelled', reason: 'refund agreed' });
    await eventually(() => orderStatus(d), (s) => s === 'on_hold', 20_000, 'D awaiting interception');
    const intercepted = await packageRow(packageId);
    expect(intercepted.interceptRequestedAt).not.toBeNull();
    expect(intercepted.members.find((m: { orderId: string }) => m.orderId === d)).toMatchObject({ status: 'intercept_requested' });
    await eventually(
      () => stack.client.workflow.getHandle(packageWorkflowId(packageId)).query(packageStateQuery),
      (s) => s.interceptRequestedBy.includes(d),
      20_000,
      'package workflow knows of the interception',
    );
    // Until the warehouse answers, the parcel's stock stays reserved.
    expect(await orderStatus(d)).toBe('on_hold');
    expect(await reservedFor(d)).toEqual([expect.objectContaining({ status: 'reserved' })]);
    const before = await stockOf('FZ-TEA');

    // The warehouse stopped it: the stock is available again and the order is cancelled.
    const answer = await post(stack, `/v1/packages/${packageId}/events`, { type: 'intercepted' });
    expect(answer.status).toBe(202);
    await eventually(() => orderStatus(d), (s) => s === 'cancelled', 20_000, 'D cancelled');
    expect(await reservedFor(d)).toEqual([expect.objectContaining({ status: 'released' })]);
    expect((await packageRow(packageId)).status).toBe('intercepted');
    const after = await stockOf('FZ-TEA');
    expect(after).toEqual({ onHand: before.onHand, reserved: before.reserved - 1 });
    await maybeRecordHistory(stack.client, d, 'order-cancelled-intercepted');
  });

  it('consumes the stock of an intercepted parcel the warehouse shipped anyway, and tells a person', async () => {
    const e = await submit(buyerOrder('buyer-m4', '保俶路 9 号'));
    await eventually(() => orderStatus(e), (s) => s === 'released', 30_000, 'E released');
    const packageId = (await fulfilment(e)).packages[0]!.packageId;
    const before = await stockOf('FZ-TEA');

    await post(stack, `/v1/orders/${encodeURIComponent(e)}/events`, { type: 'cancelled', reason: 'buyer cancelled late' });
    await eventually(() => orderStatus(e), (s) => s === 'on_hold', 20_000, 'E awaiting interception');
    expect(await reservedFor(e)).toEqual([expect.objectContaining({ status: 'reserved' })]);

    expect((await post(stack, `/v1/packages/${packageId}/events`, { type: 'intercept_failed', reason: 'already collected' })).status).toBe(202);
    await eventually(() => orderStatus(e), (s) => s === 'shipped', 20_000, 'E shipped after all');
    const exceptions = await stack.db.selectFrom('exceptions').select(['kind', 'status']).where('order_id', '=', e).execute();
    expect(exceptions).toEqual([{ kind: 'intercept_failed', status: 'open' }]);

    // The shipment itself consumes the reservation: on hand goes down with it, nothing is available twice.
    await post(stack, `/v1/packages/${packageId}/events`, { type: 'shipped', carrierCode: 'FZ-YTO', trackingNo: 'YT9990000000001' });
    await eventually(() => reservedFor(e), (r) => r.every((x) => x.status === 'consumed'), 20_000, 'reservation consumed');
    expect(await stockOf('FZ-TEA')).toEqual({ onHand: before.onHand - 1, reserved: before.reserved - 1 });
    await maybeRecordHistory(stack.client, e, 'order-shipped-after-failed-interception');
  });

  it('asks for a released parcel back when the address changes, and holds the order when the warehouse stops it', async () => {
    const order = buyerOrder('buyer-m5', '黄龙路 3 号');
    const f = await submit(order);
    await eventually(() => orderStatus(f), (s) => s === 'released', 30_000, 'F released');
    const packageId = (await fulfilment(f)).packages[0]!.packageId;

    await stack.dispatcher.dispatch(f, { eventId: `${f}#address`, type: 'address_changed', receiver: { ...canonicalOrder.parse(order).receiver, detail: '天目山路 100 号' } });
    await eventually(() => packageRow(packageId), (p) => p.interceptRequestedAt !== null, 20_000, 'interception requested');
    expect((await packageRow(packageId)).members.find((m: { orderId: string }) => m.orderId === f)).toMatchObject({ status: 'intercept_requested' });
    const exceptions = await stack.db.selectFrom('exceptions').select(['kind', 'status']).where('order_id', '=', f).execute();
    expect(exceptions).toEqual([{ kind: 'changed_after_release', status: 'open' }]);
    expect(await orderStatus(f)).toBe('released');

    expect((await post(stack, `/v1/packages/${packageId}/events`, { type: 'intercepted' })).status).toBe(202);
    await eventually(() => orderStatus(f), (s) => s === 'on_hold', 20_000, 'F on hold for a person');
    // The goods are back on the shelf, still reserved for the order until a person re-ships or cancels it.
    expect(await reservedFor(f)).toEqual([expect.objectContaining({ status: 'reserved' })]);
  });

  it('never merges a cash-on-delivery order, and gives a late arrival a new package', async () => {
    const cod = await submit({ ...buyerOrder('buyer-m3', '天目山路 5 号'), cashOnDelivery: true });
    const plain = await submit(buyerOrder('buyer-m3', '天目山路 5 号'));
    await eventually(async () => [await orderStatus(cod), await orderStatus(plain)], (s) => s.every((x) => x === 'allocated' || x === 'released'), 30_000, 'both in packages');
    const [pc, pp] = [(await fulfilment(cod)).packages[0]!, (await fulfilment(plain)).packages[0]!];
    expect(pc.packageId).not.toBe(pp.packageId);
    const decision = (await get(stack, `/v1/orders/${encodeURIComponent(cod)}/decisions`)).body.items.find((x: { kind: string }) => x.kind === 'merge');
    expect(decision.excluded).toEqual([{ id: cod, reasons: [expect.objectContaining({ code: 'cash-on-delivery' })] }]);

    // Once the plain order's package is sealed, the same buyer's next order opens a new one.
    await eventually(() => packageRow(pp.packageId), (p) => p.status === 'released', 30_000, 'package released');
    const late = await submit(buyerOrder('buyer-m3', '天目山路 5 号'));
    await eventually(() => orderStatus(late), (s) => s === 'released', 30_000, 'late released');
    const pl = (await fulfilment(late)).packages[0]!;
    expect(pl.packageId).not.toBe(pp.packageId);
    expect((await packageRow(pl.packageId)).members.map((m: { orderId: string }) => m.orderId)).toEqual([late]);
  });
});
