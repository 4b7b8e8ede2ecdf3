import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { strictDeep } from '../../api/routes/fulfilment.common.js';
import { ChannelPayloadError, checkedPushEvent, optId, optString, unixToUtc } from '../../channels/common.js';
import { JsonParseError, parseJson } from '../../channels/json.js';
import { pddFrameIds } from '../../channels/pdd/index.js';
import { canonicalOrder } from '../../domain/order.js';
import { findUnstorable, storableText, unstorableReason } from '../../domain/text.js';

// The pure pieces behind the fixes the fuzz tests (tests/integration/fuzz.test.ts) led to.

describe('text PostgreSQL can store', () => {
  it('names a NUL and an unpaired surrogate, and passes paired ones (emoji) and everything else', () => {
    expect(unstorableReason('a\u0000b')).toBe('a NUL character');
    expect(unstorableReason('x\ud800')).toBe('an unpaired surrogate (U+D800)');
    expect(unstorableReason('\udc00x')).toBe('an unpaired surrogate (U+DC00)');
    expect(unstorableReason('李** 🙂 \t\n')).toBeUndefined();
  });

  it('cleans text the way a UTF-8 round trip would, dropping NUL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const clean = storableText(s);
        expect(unstorableReason(clean)).toBeUndefined();
        expect(clean).toBe(Buffer.from(s.replaceAll('\u0000', ''), 'utf8').toString('utf8'));
      }),
    );
  });

  it('finds the first unstorable key or value in a body, however deep, with its JSON Pointer', () => {
    expect(findUnstorable({ lines: [{ title: 'ok' }, { 'a/b': { title: 'x\u0000' } }] })).toEqual({ path: '/lines/1/a~1b/title', reason: 'a NUL character' });
    expect(findUnstorable({ tags: { '\ud800': 1 } })).toEqual({ path: '/tags/\ud800', reason: 'its name holds an unpaired surrogate (U+D800)' });
    expect(findUnstorable('\u0000')).toEqual({ path: '', reason: 'a NUL character' });
    expect(findUnstorable({ a: [1, true, null, 'fine'] })).toBeUndefined();
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorable(deep)?.reason).toBe('a NUL character');
  });
});

describe('ids and text taken from a platform payload', () => {
  it('refuses ids that are not printable text of at most 128 characters, and booleans', () => {
    for (const id of ['a\u0000b', '\ud800', 'a\tb', 'x'.repeat(129)]) expect(() => optId({ id }, 'id')).toThrow(ChannelPayloadError);
    expect(() => optId({ id: true }, 'id')).toThrow(ChannelPayloadError);
    expect(optId({ id: '3021877710042315001' }, 'id')).toBe('3021877710042315001');
    expect(optId({ id: 12 }, 'id')).toBe('12');
    expect(optId({ id: 'x'.repeat(128) }, 'id')).toHaveLength(128);
  });

  it('keeps free text, cleaned', () => {
    expect(optString({ remark: '请尽快发货\u0000\ud800' }, 'remark')).toBe('请尽快发货\ufffd');
  });

  it("refuses a push event whose order id would not fit a workflow id's part (the canonical order's rule)", () => {
    const e = { messageId: '1', platformOrderId: '3021', type: 'paid', topic: 't', data: {} };
    expect(checkedPushEvent(e, 'm')).toBe(e);
    for (const platformOrderId of ['a:b', '1 2', '../1', 'x'.repeat(65)]) expect(() => checkedPushEvent({ ...e, platformOrderId }, 'm')).toThrow(ChannelPayloadError);
  });

  it('refuses unix seconds beyond what a date holds, with its own error (a RangeError was a 500)', () => {
    expect(() => unixToUtc(9_000_000_000_000_000)).toThrow(ChannelPayloadError);
    expect(unixToUtc(8_640_000_000_000)).toBe('+275760-09-13T00:00:00Z');
  });

  it('keeps error messages storable: they are stored with the exception a parked push opens', () => {
    expect(() => parseJson('\u0000')).toThrow(JsonParseError);
    try {
      parseJson('\u0000');
    } catch (e) {
      expect(unstorableReason((e as Error).message)).toBeUndefined();
    }
    expect(unstorableReason(new ChannelPayloadError('id \u0000').message)).toBeUndefined();
    expect(new ChannelPayloadError('x'.repeat(2000)).message).toHaveLength(500);
  });

  it('reads the frame ids of a PDD body it cannot process, as far as they go, and never throws', () => {
    expect(pddFrameIds('[{"id":5100000000000000001},{"id":"a"},{"id":false},{},7]')).toEqual(['5100000000000000001', 'a']);
    expect(pddFrameIds('{"id": 12, "commandType": ')).toEqual([]);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => Array.isArray(pddFrameIds(s))));
  });
});

describe('request bodies', () => {
  it('makes a domain schema strict at every depth, its checks kept', () => {
    const strict = strictDeep(canonicalOrder);
    const order = {
      platform: 'taobao',
      shopId: 's',
      platformOrderId: '1',
      buyerKey: 'b',
      receiver: { name: '李**', phone: '139****0001', encrypted: { name: '~x~' } },
      lines: [{ skuCode: 'TEA-LJ-250', quantity: 1, unitPriceFen: 500, paidFen: 500 }],
      amounts: { goodsFen: 500, paidFen: 500 },
      createdAt: '2026-11-11T00:00:00Z',
    };
    expect(strict.safeParse(order).success).toBe(true);
    expect(canonicalOrder.safeParse({ ...order, x: 1 }).success).toBe(true);
    for (const bad of [{ ...order, x: 1 }, { ...order, receiver: { ...order.receiver, encrypted: { name: '~x~', y: 1 } } }, { ...order, lines: [{ ...order.lines[0]!, z: 1 }] }]) {
      expect(strict.safeParse(bad).error?.issues[0]?.code).toBe('unrecognized_keys');
    }
    // The refinement (goods = the lines' price x quantity) still runs.
    expect(strict.safeParse({ ...order, amounts: { goodsFen: 501, paidFen: 500 } }).success).toBe(false);
  });

  it('refuses lines whose price x quantity is beyond integer fen instead of throwing', () => {
    const r = canonicalOrder.safeParse({
      platform: 'taobao',
      shopId: 's',
      platformOrderId: '1',
      buyerKey: 'b',
      receiver: { name: '李**', phone: '139****0001' },
      lines: [{ skuCode: 'A', quantity: 100_000, unitPriceFen: 1_000_000_000_000, paidFen: 0 }],
      amounts: { goodsFen: 0, paidFen: 0 },
      createdAt: '2026-11-11T00:00:00Z',
    });
    expect(r.error?.issues.map((i) => i.message)).toEqual(['unit price x quantity over the lines is beyond what integer fen can count']);
  });
});

describe('platform topics named like Object members', () => {
  it('treats a tag or topic such as constructor or __proto__ as one that carries no order event', async () => {
    const { parseDouyinPush } = await import('../../channels/douyin/push.js');
    const { ownEntry } = await import('../../channels/common.js');
    for (const tag of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const parsed = parseDouyinPush(JSON.stringify([{ tag, msg_id: 'm-1', data: '{"p_id":"10000000000000000"}' }]));
      expect(parsed.events).toEqual([]);
      expect(parsed.ignored).toEqual([expect.objectContaining({ messageId: 'm-1', topic: tag, reason: 'tag carries no order event' })]);
      expect(ownEntry({ a: 1 }, tag)).toBeUndefined();
    }
  });
});
