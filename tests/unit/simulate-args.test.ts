import { describe, expect, it } from 'vitest';
import { chooseScenario, DRIVE_DEFAULTS, formatProgress, parseSimulateArgs, SCENARIO_PLATFORMS, syncModeFor, USAGE, type DriveOptions } from '../../channels/simulator/drive.js';
import { pddOrder, taobaoTrade } from '../../channels/simulator/render.js';
import { PlatformSimulator } from '../../channels/simulator/server.js';

const run = (argv: string[], now = 1_234_567_890): DriveOptions => {
  const r = parseSimulateArgs(argv, now);
  if (r.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(r)}`);
  return r.options;
};
const error = (argv: string[]): string => {
  const r = parseSimulateArgs(argv);
  if (r.kind !== 'error') throw new Error(`expected an error for ${argv.join(' ')}, got ${JSON.stringify(r)}`);
  return r.message;
};

describe('npm run simulate arguments', () => {
  it('has defaults for everything, the seed from the clock', () => {
    expect(run([], 1_234_567_890)).toEqual({
      platforms: ['douyin'],
      rate: DRIVE_DEFAULTS.rate,
      durationS: DRIVE_DEFAULTS.durationS,
      seed: 567_890,
      mode: undefined,
      api: 'http://127.0.0.1:3000',
      waitS: 60,
      duplicateRate: 0.05,
      outOfOrderRate: 0.05,
      shopPrefix: 'sim',
      pullIntervalS: 5,
    });
  });

  it('reads the documented example and every option', () => {
    expect(run(['--platform', 'douyin', '--rate', '50', '--duration', '60'])).toMatchObject({ platforms: ['douyin'], rate: 50, durationS: 60 });
    const o = run(['--platform=all', '--rate', '0.5', '--duration', '3', '--seed', '7', '--mode', 'both', '--api', 'http://localhost:3100/', '--wait', '0', '--duplicates', '1', '--out-of-order', '0', '--shop-prefix', 'demo_1.x', '--pull-interval', '30']);
    expect(o).toEqual({ platforms: ['taobao', 'jd', 'douyin', 'pdd'], rate: 0.5, durationS: 3, seed: 7, mode: 'both', api: 'http://localhost:3100', waitS: 0, duplicateRate: 1, outOfOrderRate: 0, shopPrefix: 'demo_1.x', pullIntervalS: 30 });
    expect(run(['--platform', 'jd']).platforms).toEqual(['jd']);
    expect(run(['--platform', 'jd', '--mode', 'pull']).mode).toBe('pull');
  });

  it('takes the API key from --api-key, else from the caller (ORDERLY_KEY), and sends none without either', () => {
    expect(run(['--api-key', 'ork_cli'])).toMatchObject({ apiKey: 'ork_cli' });
    const fromEnv = parseSimulateArgs([], 1, 'ork_env');
    expect(fromEnv.kind === 'run' && fromEnv.options.apiKey).toBe('ork_env');
    const both = parseSimulateArgs(['--api-key', 'ork_cli'], 1, 'ork_env');
    expect(both.kind === 'run' && both.options.apiKey).toBe('ork_cli');
    expect(run([])).not.toHaveProperty('apiKey');
    expect(USAGE).toContain('--api-key');
  });

  it('says what is wrong with a bad value', () => {
    expect(error(['--platform', 'tmall'])).toMatch(/--platform must be one of taobao, jd, douyin, pdd, all; got "tmall"/);
    expect(error(['--rate', 'fast'])).toMatch(/--rate must be a number/);
    expect(error(['--rate', '0'])).toMatch(/--rate must be between 0.1 and 2000/);
    expect(error(['--rate', '-5'])).toMatch(/--rate/);
    expect(error(['--rate', ''])).toMatch(/--rate must be a number/);
    expect(error(['--duration', '0'])).toMatch(/--duration must be between 1/);
    expect(error(['--seed', '1.5'])).toMatch(/--seed must be a whole number/);
    expect(error(['--seed=-1'])).toMatch(/--seed must be between 0/);
    expect(error(['--mode', 'poll'])).toMatch(/--mode must be push, pull or both/);
    expect(error(['--platform', 'jd', '--mode', 'push'])).toMatch(/jd has no push/);
    expect(error(['--api', 'localhost:3000'])).toMatch(/--api must be an http\(s\) URL/);
    expect(error(['--api', 'not a url'])).toMatch(/--api must be a URL/);
    expect(error(['--duplicates', '1.5'])).toMatch(/--duplicates must be between 0 and 1/);
    expect(error(['--shop-prefix', 'a:b'])).toMatch(/--shop-prefix/);
    expect(error(['--pull-interval', '2'])).toMatch(/--pull-interval must be between 5 and 3600/);
  });

  it('refuses unknown options, missing values and stray words', () => {
    expect(error(['--speed', '5'])).toMatch(/speed/);
    expect(error(['--rate'])).toMatch(/rate/);
    expect(error(['douyin'])).toMatch(/unexpected argument "douyin"/);
  });

  it('answers --help and -h with help, and the usage text names every option', () => {
    expect(parseSimulateArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseSimulateArgs(['-h', '--rate', 'x'])).toEqual({ kind: 'help' });
    for (const opt of ['--platform', '--rate', '--duration', '--seed', '--mode', '--api', '--wait', '--duplicates', '--out-of-order', '--shop-prefix', '--pull-interval']) expect(USAGE).toContain(opt);
  });

  it('pulls JD whatever the mode, and pushes the others unless told', () => {
    expect(syncModeFor('jd', 'push')).toBe('pull');
    expect(syncModeFor('jd', undefined)).toBe('pull');
    expect(syncModeFor('douyin', undefined)).toBe('push');
    expect(syncModeFor('taobao', 'both')).toBe('both');
    expect(syncModeFor('pdd', 'pull')).toBe('pull');
  });

  it('draws a progress bar over the generation, then over the wait', () => {
    const base = { generated: 120, acknowledged: 230, failed: 1, duplicatesSent: 6, inOrderly: 118, durationS: 60, waitS: 30 };
    expect(formatProgress({ ...base, phase: 'generating', elapsedS: 30, waitedS: 0 }, 10)).toBe('[#####-----] 30/60s  generated 120  acked 230  failed 1  dup 6  in Orderly 118');
    expect(formatProgress({ ...base, phase: 'waiting', elapsedS: 60, waitedS: 3, inOrderly: -1 }, 10)).toBe('[#---------] waiting 3/30s  generated 120  acked 230  failed 1  dup 6  in Orderly ?');
    expect(formatProgress({ ...base, phase: 'done', elapsedS: 60, waitedS: 3 }, 4)).toMatch(/^\[####\] done /);
  });
});

describe('npm run simulate --warehouse', () => {
  it('is off by default and on with its defaults when given', () => {
    expect(run([]).warehouse).toBeUndefined();
    expect(run(['--warehouse']).warehouse).toEqual({ failRate: 0, maxDelayMs: 2000, defaultCarrier: 'YTO' });
  });

  it('reads its options', () => {
    expect(run(['--warehouse', '--warehouse-fail', '0.1', '--warehouse-delay', '0.5', '--warehouse-carrier', 'zto']).warehouse).toEqual({ failRate: 0.1, maxDelayMs: 500, defaultCarrier: 'ZTO' });
  });

  it('refuses its options without the flag, and bad values', () => {
    expect(error(['--warehouse-fail', '0.1'])).toMatch(/--warehouse-fail needs --warehouse/);
    expect(error(['--warehouse', '--warehouse-fail', '2'])).toMatch(/--warehouse-fail must be between 0 and 1/);
    expect(error(['--warehouse', '--warehouse-delay', 'x'])).toMatch(/--warehouse-delay must be a number/);
    expect(error(['--warehouse', '--warehouse-carrier', 'Y T'])).toMatch(/--warehouse-carrier/);
    expect(USAGE).toContain('--warehouse');
  });
});

describe('npm run simulate scenarios (--already-shipped, --refund-line, --late-address)', () => {
  it('are absent by default and read as shares when given', () => {
    const o = run([]);
    expect(o).not.toHaveProperty('alreadyShippedRate');
    expect(o).not.toHaveProperty('refundLineRate');
    expect(o).not.toHaveProperty('lateAddressRate');
    expect(run(['--already-shipped', '0.2', '--refund-line', '0.3', '--late-address=0.5'])).toMatchObject({ alreadyShippedRate: 0.2, refundLineRate: 0.3, lateAddressRate: 0.5 });
    expect(run(['--refund-line', '1']).refundLineRate).toBe(1);
    expect(run(['--late-address', '0']).lateAddressRate).toBe(0);
    for (const opt of ['--already-shipped', '--refund-line', '--late-address']) expect(USAGE).toContain(opt);
  });

  it('says what is wrong with a bad share, or shares adding up to more than 1', () => {
    expect(error(['--already-shipped', '1.5'])).toMatch(/--already-shipped must be between 0 and 1, got 1.5/);
    expect(error(['--refund-line', 'some'])).toMatch(/--refund-line must be a number, got "some"/);
    expect(error(['--late-address=-0.1'])).toMatch(/--late-address must be between 0 and 1/);
    expect(error(['--late-address'])).toMatch(/late-address/);
    expect(error(['--already-shipped', '0.6', '--late-address', '0.5'])).toMatch(/together at most 1, got 1.1/);
    expect(run(['--already-shipped', '0.7', '--refund-line', '0.2', '--late-address', '0.1'])).toMatchObject({ alreadyShippedRate: 0.7 });
  });
});

describe('the seeded choice of scenario', () => {
  const line = (id: string) => ({ lineId: id, skuCode: 'MUG-CER-01', title: 'mug', quantity: 1, unitFen: 3900, paidFen: 3900 });
  const paid2 = { platform: 'taobao' as const, status: 'paid' as const, lines: [line('1'), line('2')] };
  const shares = { alreadyShippedRate: 0.2, refundLineRate: 0.3, lateAddressRate: 0.1 };

  it('takes consecutive slices of one draw', () => {
    expect(chooseScenario(0, shares, paid2)).toBe('already_shipped');
    expect(chooseScenario(0.199, shares, paid2)).toBe('already_shipped');
    expect(chooseScenario(0.2, shares, paid2)).toBe('refund_line');
    expect(chooseScenario(0.49, shares, paid2)).toBe('refund_line');
    expect(chooseScenario(0.55, shares, paid2)).toBe('late_address');
    expect(chooseScenario(0.6, shares, paid2)).toBeUndefined();
    expect(chooseScenario(0.99, {}, paid2)).toBeUndefined();
    expect(chooseScenario(0, {}, paid2)).toBeUndefined();
  });

  it('gives a scenario only to orders that can play it', () => {
    const all = (rate: number, k: 'alreadyShippedRate' | 'refundLineRate' | 'lateAddressRate') => ({ [k]: rate });
    // A refund needs two lines; Douyin pushes no after-sale; JD pushes nothing.
    expect(chooseScenario(0.5, all(1, 'refundLineRate'), { ...paid2, lines: [line('1')] })).toBeUndefined();
    expect(chooseScenario(0.5, all(1, 'refundLineRate'), { ...paid2, platform: 'douyin' })).toBeUndefined();
    expect(chooseScenario(0.5, all(1, 'refundLineRate'), { ...paid2, platform: 'pdd' })).toBe('refund_line');
    expect(chooseScenario(0.5, all(1, 'lateAddressRate'), { ...paid2, platform: 'douyin' })).toBe('late_address');
    expect(chooseScenario(0.5, all(1, 'alreadyShippedRate'), { ...paid2, platform: 'jd' })).toBeUndefined();
    // Unpaid and presale orders play none.
    expect(chooseScenario(0.5, all(1, 'alreadyShippedRate'), { ...paid2, status: 'awaiting_payment' })).toBeUndefined();
    expect(chooseScenario(0.5, all(1, 'lateAddressRate'), { ...paid2, presale: { depositFen: 100, balanceDueAt: new Date() } })).toBeUndefined();
    expect(SCENARIO_PLATFORMS.refund_line).not.toContain('douyin');
  });
});

describe('the simulated platform under scenarios', () => {
  it('shows an order shipped on the platform, a refunded line and a changed address in its detail and pushes', () => {
    const sim = new PlatformSimulator({ seed: 11, unpaidRate: 0, presaleRate: 0 });
    const shop = sim.addShop({ platform: 'taobao', shopId: 's', appKey: 'k', appSecret: 'x' });
    let o = sim.createOrder(shop);
    while (o.lines.length < 2) o = sim.createOrder(shop);
    const before = { version: o.version, detail: o.receiver.detail, addressKey: o.addressKey, plain: o.plain.detail };

    sim.generator.refundLine(o, o.lines[1]!.lineId, 'requested', new Date());
    let lines = (taobaoTrade(o).orders as { order: Array<{ refund_status: string }> }).order;
    expect(lines.map((l) => l.refund_status)).toEqual(['NO_REFUND', 'WAIT_SELLER_AGREE']);
    const push = sim.pushRequest(shop, o, 'refund_created', undefined, o.lines[1]!.lineId);
    expect(push.body).toContain('taobao_refund_RefundCreated');
    expect(push.body).toContain(`\\"oid\\":${o.lines[1]!.lineId}`);
    sim.generator.refundLine(o, o.lines[1]!.lineId, 'refunded', new Date());
    lines = (taobaoTrade(o).orders as { order: Array<{ refund_status: string }> }).order;
    expect(lines[1]!.refund_status).toBe('SUCCESS');
    expect(sim.pushRequest(shop, o, 'refund_success', undefined, o.lines[1]!.lineId).body).toContain('taobao_refund_RefundSuccess');
    expect(() => sim.pushRequest(shop, o, 'refund_success')).toThrow(/needs one of its line ids/);

    sim.generator.changeAddress(o, new Date());
    expect(o.receiver.detail).not.toBe(before.detail);
    expect(o.receiver.detail).toMatch(/\*\*\*号$/);
    expect(o.addressKey).not.toBe(before.addressKey);
    expect(o.plain.detail).not.toBe(before.plain);
    expect(taobaoTrade(o)).toMatchObject({ receiver_address: o.receiver.detail, oaid: o.addressKey });
    expect(sim.pushRequest(shop, o, 'address_changed').body).toContain('taobao_trade_TradeLogisticsAddressChanged');

    sim.generator.shipOnPlatform(o, { carrierCode: 'YTO', trackingNo: 'YT1234567890123' }, new Date());
    expect(taobaoTrade(o)).toMatchObject({ status: 'WAIT_BUYER_CONFIRM_GOODS' });
    expect(sim.pushRequest(shop, o, 'shipped').body).toContain('YT1234567890123');
    expect(o.version).toBe(before.version + 4);

    // Douyin has no after-sale push; PDD has no refund-success one.
    const dy = sim.addShop({ platform: 'douyin', shopId: 'd', appKey: 'dk', appSecret: 'x' });
    expect(() => sim.pushRequest(dy, sim.createOrder(dy), 'refund_created')).toThrow(/douyin pushes no refund_created/);
    const pdd = sim.addShop({ platform: 'pdd', shopId: 'p', appKey: 'pk', appSecret: 'x' });
    const po = sim.createOrder(pdd);
    expect(() => sim.pushRequest(pdd, po, 'refund_success', undefined, po.lines[0]!.lineId)).toThrow(/pdd pushes no refund_success/);
    sim.generator.refundLine(po, po.lines[0]!.lineId, 'requested', new Date());
    expect(pddOrder(po).refund_status).toBe(2);
    expect(sim.pushRequest(pdd, po, 'refund_created', undefined, po.lines[0]!.lineId).body).toContain('pdd_refund_RefundCreated');
  });
});
