import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { FAULTS, formatInvariants, runChaos, type Invariant } from '../../bench/chaos.js';

// The chaos run's short form (`npm run chaos` is the full one): a PostgreSQL and a Temporal dev server of this
// file's own (it restarts them, so the run's shared ones are left alone), one API and one worker process, each
// fault once while 40 orders flow, every push three times out of order, 30 orders for the last 10 units.
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-chaos-test-'));
fs.chmodSync(runDir, 0o755);
afterAll(() => fs.rmSync(runDir, { recursive: true, force: true }));

describe('chaos: processes killed, Temporal and PostgreSQL restarted, pushes tripled and shuffled, a contest for the last units', () => {
  it(
    'keeps every invariant',
    async () => {
      const lines: string[] = [];
      let broken: Invariant[] = [];
      const report = await runChaos(
        { orders: 40, rate: 2, contestOrders: 30, contestUnits: 10, deliveries: 3, faults: FAULTS, seed: 7, settleTimeoutMs: 120_000, downMs: 2000 },
        runDir,
        (s) => lines.push(s),
        {
          // The checks can fail: a unit reserved behind the reservations' back, an event applied twice and an
          // order set back to "paid" are each caught.
          afterCheck: async ({ db, recheck }) => {
            await sql`update inventory set reserved = reserved + 1 where warehouse_code = 'WH-SH' and sku_code = 'MUG-CER-01'`.execute(db);
            await sql`insert into order_events (order_id, seq, event_type, detail, occurred_at)
                      select order_id, 100000, event_type, detail, occurred_at from order_events
                      where event_type = 'created' and detail ? 'eventId' and order_id like 'order:%:chaos-%' order by order_id limit 1`.execute(db);
            await sql`update orders set status = 'paid' where id = (select id from orders where status = 'shipped' and shop_id like 'chaos-%' order by id limit 1)`.execute(db);
            broken = await recheck();
          },
        },
      );
      const printed = `${lines.join('\n')}\n${formatInvariants(report.invariants)}`;
      // Every fault happened, and every message got in although the API was down for a while.
      expect(report.faults.map((f) => f.fault), printed).toEqual([...FAULTS]);
      expect(report.send.refusals.refused ?? 0, printed).toBeGreaterThan(0);
      expect(report.send.acknowledgedMessages.size, printed).toBe(report.messages);
      expect(report.settled, printed).toBe(true);
      for (const inv of report.invariants) expect({ invariant: inv.name, pass: inv.pass, offenders: inv.offenders.slice(0, 5) }, printed).toEqual({ invariant: inv.name, pass: true, offenders: [] });
      expect(report.invariants.map((i) => i.name.split(' (')[0])).toEqual([
        'every created order reached one consistent state',
        'the read model and Temporal agree',
        'no order doubled',
        'no unit reserved twice or below zero',
        'reserved = ordered for released orders; no order that is not on its way holds stock',
        'every inbox event applied exactly once',
      ]);
      // The contest was decided: exactly the last 10 units went, to 10 orders.
      const stock = report.invariants.find((i) => i.name.startsWith('no unit reserved twice'))!;
      expect(stock.detail, printed).toContain(`contest: 10/10 units taken by 10 orders`);
      expect(stock.name).toContain('30 orders');

      const failed = (start: string) => broken.find((i) => i.name.startsWith(start))!;
      expect(failed('no unit reserved twice').pass).toBe(false);
      expect(failed('no unit reserved twice').offenders.join('; ')).toMatch(/WH-SH\/MUG-CER-01 \(inventory says \d+ reserved, reservations hold \d+\)/);
      expect(failed('every inbox event applied exactly once').offenders.join('; ')).toMatch(/applied more than once: created, created/);
      expect(failed('every created order reached').offenders.join('; ')).toMatch(/\(paid: not at rest\)/);
      expect(failed('the read model and Temporal agree').offenders.join('; ')).toMatch(/read model paid, workflow COMPLETED with OrderStatus shipped/);
    },
    300_000,
  );
});
