import { describe, expect, it } from 'vitest';
import { DRIVE_DEFAULTS, formatProgress, parseSimulateArgs, syncModeFor, USAGE, type DriveOptions } from '../../channels/simulator/drive.js';

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
