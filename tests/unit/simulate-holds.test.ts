import { describe, expect, it } from 'vitest';
import { formatReport, parseSimulateArgs, USAGE, type DriveReport } from '../../channels/simulator/drive.js';

describe('npm run simulate: repeat buyers and hold-window figures', () => {
  it('takes --repeat-buyers as a share, absent when not given', () => {
    const r = parseSimulateArgs(['--repeat-buyers', '0.25']);
    expect(r.kind === 'run' && r.options.repeatBuyerRate).toBe(0.25);
    const plain = parseSimulateArgs([]);
    expect(plain.kind === 'run' && 'repeatBuyerRate' in plain.options).toBe(false);
    expect(parseSimulateArgs(['--repeat-buyers', '1.5'])).toMatchObject({ kind: 'error', message: expect.stringMatching(/--repeat-buyers must be between 0 and 1/) });
    expect(USAGE).toMatch(/--repeat-buyers/);
  });

  it('reports how many orders went into held packages and how long they waited', () => {
    const parsed = parseSimulateArgs(['--repeat-buyers', '0.1', '--seed', '1']);
    if (parsed.kind !== 'run') throw new Error('options expected');
    const report: DriveReport = {
      options: parsed.options,
      shops: [],
      simulatorUrl: 'http://127.0.0.1:1',
      startedAt: '2026-12-01T00:00:00.000Z',
      generatingS: 1,
      waitedS: 1,
      stoppedEarly: false,
      planned: 10,
      behind: 0,
      generated: 10,
      generatedByPlatform: {},
      pushes: { messages: 0, acknowledged: 0, failed: 0, byStatus: {}, retried: 0, duplicatesSent: 0, duplicatesAcknowledged: 0, outOfOrder: 0, ackMsP50: null, ackMsP99: null },
      orderly: { found: 10, alreadyThere: 0, byStatus: {}, notYetRunning: 0, missing: [], others: 0, byShop: [] },
      orders: [],
      holds: { samples: 5, allocatedPeak: 4, allocatedMean: 2.5, timelines: 10, reachedPackage: 9, held: 3, heldMsP50: 9000, heldMsP99: 9900, waited: 3, stillWaiting: 1, waitMsP50: 12, waitMsP99: 10_500 },
    };
    const text = formatReport(report);
    expect(text).toMatch(/Hold windows\s+9 of 10 orders reached a package: 3 into a held package \(window left when allocated p50 9000 ms, p99 9900 ms\), 1 still waiting/);
    expect(text).toMatch(/until released\s+allocated -> released p50 12 ms, p99 10\.5 s; 3 took 1 s or more/);
    expect(text).toMatch(/peak 4, mean 2\.5 over 5 samples/);
    expect(text).toMatch(/repeat buyers\s+10% of orders/);
  });
});
