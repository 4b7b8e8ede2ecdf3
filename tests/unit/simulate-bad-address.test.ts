import { describe, expect, it } from 'vitest';
import { chooseBadAddress, parseSimulateArgs, USAGE, type DriveOptions } from '../../channels/simulator/drive.js';
import { BAD_ADDRESS_KINDS, OrderGenerator, type SimOrder } from '../../channels/simulator/generator.js';
import { douyinCiphertexts, douyinOrder, pddOrder, taobaoTrade } from '../../channels/simulator/render.js';
import { parseAddress } from '../../domain/address/index.js';

const run = (argv: string[]): DriveOptions => {
  const r = parseSimulateArgs(argv, 1);
  if (r.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(r)}`);
  return r.options;
};
const error = (argv: string[]): string => {
  const r = parseSimulateArgs(argv);
  if (r.kind !== 'error') throw new Error(`expected an error for ${argv.join(' ')}, got ${JSON.stringify(r)}`);
  return r.message;
};
const verdict = (o: SimOrder) => parseAddress({ province: o.receiver.province, city: o.receiver.city, district: o.receiver.district, detail: o.receiver.detail }).status;

describe('npm run simulate --bad-address', () => {
  it('is absent by default and read as a share when given', () => {
    expect(run([])).not.toHaveProperty('badAddressRate');
    expect(run(['--bad-address', '0.1']).badAddressRate).toBe(0.1);
    expect(run(['--bad-address=1']).badAddressRate).toBe(1);
    // A share of its own: it does not count against the scenarios' total.
    expect(run(['--bad-address', '0.5', '--late-address', '1'])).toMatchObject({ badAddressRate: 0.5, lateAddressRate: 1 });
    expect(USAGE).toContain('--bad-address');
  });

  it('says what is wrong with a bad share', () => {
    expect(error(['--bad-address', '1.5'])).toMatch(/--bad-address must be between 0 and 1, got 1.5/);
    expect(error(['--bad-address', 'many'])).toMatch(/--bad-address must be a number, got "many"/);
    expect(error(['--bad-address'])).toMatch(/bad-address/);
  });

  it('gives the kinds equal slices of the share, and none above it', () => {
    const paid = { status: 'paid' as const };
    expect(chooseBadAddress(0, 0.3, paid)).toBe('no_street');
    expect(chooseBadAddress(0.099, 0.3, paid)).toBe('no_street');
    expect(chooseBadAddress(0.1, 0.3, paid)).toBe('ambiguous');
    expect(chooseBadAddress(0.25, 0.3, paid)).toBe('unrecognised');
    expect(chooseBadAddress(0.3, 0.3, paid)).toBeUndefined();
    expect(chooseBadAddress(0.9999, 1, paid)).toBe('unrecognised');
    expect(chooseBadAddress(0, 0, paid)).toBeUndefined();
    expect(chooseBadAddress(0, undefined, paid)).toBeUndefined();
  });

  it('spoils only orders paid in full', () => {
    expect(chooseBadAddress(0, 1, { status: 'awaiting_payment' })).toBeUndefined();
    expect(chooseBadAddress(0, 1, { status: 'paid', presale: { depositFen: 100, balanceDueAt: new Date() } })).toBeUndefined();
    expect(chooseBadAddress(0, 1, { status: 'paid' })).toBe('no_street');
  });
});

describe('a spoiled receiver address', () => {
  const orders = (n: number, seed = 21) => {
    const g = new OrderGenerator({ seed });
    return { g, list: Array.from({ length: n }, (_, i) => g.create((['taobao', 'jd', 'douyin', 'pdd'] as const)[i % 4]!, 'shop', new Date('2026-11-11T02:00:00Z'))) };
  };

  it('starts from addresses the address library resolves', () => {
    for (const o of orders(40).list) expect(verdict(o)).toBe('resolved');
  });

  it('no_street: no street shown, none behind the mask, and no street ciphertext on Douyin and PDD', () => {
    const { g, list } = orders(8);
    for (const o of list) {
      const region = { province: o.receiver.province, city: o.receiver.city, district: o.receiver.district };
      g.spoilAddress(o, 'no_street');
      expect(o.receiver).toMatchObject({ ...region, detail: '' });
      expect(o.plain.detail).toBe('');
    }
    const [tb, , dy, pdd] = list;
    expect(taobaoTrade(tb!)).toMatchObject({ receiver_address: '' });
    expect(douyinCiphertexts(dy!).detail).toBe('');
    expect(douyinOrder(dy!)).toMatchObject({ post_addr: { encrypt_detail: '' }, mask_post_addr: { detail: '' } });
    expect(pddOrder(pdd!)).toMatchObject({ receiver_address: '', receiver_address_mask: '' });
    // Name and phone are still encrypted as before.
    expect(douyinCiphertexts(dy!).name).toMatch(/^##.+#1##$/);
  });

  it('ambiguous: the province contradicts the city and district, which the address library cannot settle', () => {
    const { g, list } = orders(60);
    for (const o of list) {
      const before = { ...o.receiver };
      g.spoilAddress(o, 'ambiguous');
      expect(o.receiver.province).not.toBe(before.province);
      expect(o.receiver).toMatchObject({ city: before.city, district: before.district, detail: before.detail });
      expect(verdict(o)).toBe('ambiguous');
    }
  });

  it('unrecognised: region names that are no region, which the address library does not recognise', () => {
    const { g, list } = orders(30);
    for (const o of list) {
      const before = { ...o.receiver };
      g.spoilAddress(o, 'unrecognised');
      expect(o.receiver.detail).toBe(before.detail);
      // The region alone; the street stays as generated (whatever the library makes of it is Orderly's to say).
      expect(verdict({ ...o, receiver: { ...o.receiver, detail: '' } })).toBe('unresolved');
      for (const f of ['province', 'city', 'district'] as const) expect(o.receiver[f]).not.toBe('');
    }
  });

  it('unrecognised: not resolved with its street either, whatever road the street is on (解放大道 is not 解放区)', () => {
    const { g, list } = orders(80);
    const streets = new Set<string>();
    for (const o of list) {
      g.spoilAddress(o, 'unrecognised');
      streets.add(o.receiver.detail.replace(/[\d*].*$/u, ''));
      expect(verdict(o), `${o.receiver.province}${o.receiver.city}${o.receiver.district} ${o.receiver.detail}`).not.toBe('resolved');
    }
    expect(streets).toContain('解放大道');
  });

  it('is the same for the same order, and leaves the generator sequence (the other orders) alone', () => {
    const a = orders(10, 5);
    const b = orders(10, 5);
    for (const kind of BAD_ADDRESS_KINDS) {
      const [x, y] = [a.list[3]!, b.list[3]!];
      a.g.spoilAddress(x, kind);
      b.g.spoilAddress(y, kind);
      expect(x.receiver).toEqual(y.receiver);
    }
    const at = new Date('2026-11-11T03:00:00Z');
    a.g.spoilAddress(a.list[0]!, 'ambiguous');
    expect(a.g.create('taobao', 'shop', at)).toEqual(b.g.create('taobao', 'shop', at));
  });
});
