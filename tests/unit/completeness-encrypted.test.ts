import { describe, expect, it } from 'vitest';
import { checkCompleteness } from '../../domain/completeness.js';
import { canonicalOrder, canonicalOrderLoose } from '../../domain/order.js';
import { makeOrder } from '../helpers/orders.js';

const CIPHER_NAME = '##qIOpbLPevlQwA6f+yNJ7HgOq==*CgYIASAHKAESPgo8AezTm/PH44dQ#1##';
const CIPHER_PHONE = '$$KlqdO3S6/9vQsJesewp8R2oB==*CgYIASAHKAESPgo85MWGCFPB$1$$';
const CIPHER_DETAIL = '##Vm8x3Q0+4m2Jk9/rT5yPzXw7cL1e==*CgYIASAHKAESPgo8AezT#1##';

function codes(receiver: Record<string, unknown>, buyerKey = 'dyc:abc'): string[] {
  const base = makeOrder();
  const order = canonicalOrderLoose.parse({ ...base, buyerKey, receiver: { province: '浙江省', city: '杭州市', district: '西湖区', ...receiver } });
  return checkCompleteness(order).map((i) => i.code);
}

describe('completeness with encrypted and masked receivers', () => {
  it('counts a ciphertext as a present name, phone and street', () => {
    expect(codes({ name: '', phone: '', detail: '', encrypted: { name: CIPHER_NAME, phone: CIPHER_PHONE, detail: CIPHER_DETAIL } })).toEqual([]);
  });

  it('counts a mask as present without any ciphertext', () => {
    expect(codes({ name: '李**', phone: '138****0000', detail: '文三路***号' })).toEqual([]);
  });

  it('still flags each field that has neither a value nor a ciphertext', () => {
    expect(codes({ name: '', phone: '', detail: '', encrypted: { phone: CIPHER_PHONE } })).toEqual(['receiver_name_missing', 'address_detail_missing']);
    expect(codes({ name: '李**', phone: '', detail: '', encrypted: { detail: CIPHER_DETAIL } })).toEqual(['receiver_phone_missing']);
  });

  it('counts a masked street as present however much is masked, with or without an opaque address id', () => {
    for (const detail of ['文三路***号', '****', '＊＊＊＊']) {
      expect(codes({ name: '李**', phone: '138****0000', detail }), detail).toEqual([]);
      expect(codes({ name: '李**', phone: '138****0000', detail, addressKey: 'oaid-1Zd5tS2B' }), detail).toEqual([]);
    }
  });

  it('flags a street that is missing even when an opaque address id is there', () => {
    expect(codes({ name: '李**', phone: '138****0000', detail: '', addressKey: 'oaid-1Zd5tS2B' })).toEqual(['address_detail_missing']);
    expect(codes({ name: '', phone: '', detail: '', addressKey: 'oaid-1Zd5tS2B', encrypted: { name: CIPHER_NAME, phone: CIPHER_PHONE } })).toEqual(['address_detail_missing']);
  });

  it('does not take invisible characters (NUL, zero-width, full-width spaces) for a value', () => {
    const base = makeOrder();
    const order = canonicalOrderLoose.parse({ ...base, receiver: { ...base.receiver, name: '\u0000', detail: '\u3000\u200b' } });
    expect(checkCompleteness(order).map((i) => i.code)).toEqual(['receiver_name_missing', 'address_detail_missing']);
  });

  it('does not take a blank ciphertext for a value (the schemas refuse one; the check does not rely on that)', () => {
    const base = makeOrder();
    const order = canonicalOrderLoose.parse({ ...base, receiver: { ...base.receiver, name: '' } });
    const blank = { ...order, receiver: { ...order.receiver, encrypted: { name: '   ' } } };
    expect(checkCompleteness(blank).map((i) => i.code)).toEqual(['receiver_name_missing']);
    expect(canonicalOrderLoose.safeParse(blank).success).toBe(false);
  });

  it('warns (without holding) about a missing buyer key, and only then', () => {
    expect(codes({ name: '李**', phone: '138****0000', detail: '', encrypted: { detail: CIPHER_DETAIL } }, '')).toEqual(['buyer_missing']);
  });

  it('keeps ciphertexts through the strict and the loose schema, and refuses an empty one', () => {
    const base = makeOrder();
    const encrypted = { name: CIPHER_NAME, phone: CIPHER_PHONE, detail: CIPHER_DETAIL };
    expect(canonicalOrder.parse({ ...base, receiver: { ...base.receiver, encrypted } }).receiver.encrypted).toEqual(encrypted);
    expect(canonicalOrderLoose.parse({ ...base, receiver: { ...base.receiver, name: '', encrypted } }).receiver.encrypted).toEqual(encrypted);
    expect(canonicalOrder.safeParse({ ...base, receiver: { ...base.receiver, encrypted: { name: '' } } }).success).toBe(false);
  });
});
