import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { countUndispatched } from '../../db/inbox.repository.js';
import { createLogger } from '../../config/logger.js';
import { orderWorkflowId } from '../../domain/order.js';
import { startTemporalDevServer, type RunningTemporal } from '../../scripts/stack/temporal-server.js';
import { makeOrder } from '../helpers/orders.js';
import { freePort } from '../helpers/ports.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

// A Temporal dev server of this file's own, with its database on disk, really stopped and started again.
let stack: TestStack;
let temporal: RunningTemporal | undefined;
let port: number;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-restart-'));
const config = loadConfig(process.env, { LOG_FORMAT: 'json', LOG_LEVEL: 'warn' });
const logger = createLogger(config);

const startServer = () =>
  startTemporalDevServer({ port, namespace: 'default', dataDir: config.dataDir, cliPath: config.TEMPORAL_CLI_PATH, dbFile: path.join(dir, 'temporal.db'), logger });

beforeAll(async () => {
  port = await freePort();
  temporal = await startServer();
  stack = await createTestStack({}, { temporalAddress: temporal.address });
});
afterAll(async () => {
  await stack?.close();
  await temporal?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const statusOf = async (id: string) => (await stack.db.selectFrom('orders').select('status').where('id', '=', id).executeTakeFirst())?.status;

describe('Temporal stopped while orders arrive', () => {
  it('keeps every order, answers "queued", and processes them all once Temporal is back', async () => {
    const before = makeOrder();
    const beforeId = orderWorkflowId('taobao', before.shopId, before.platformOrderId);
    expect((await stack.app.inject({ method: 'POST', url: '/v1/orders', payload: before })).json()).toMatchObject({ status: 'accepted' });
    await eventually(() => statusOf(beforeId), (s) => s === 'awaiting_payment', 20_000, 'first order running');

    await temporal!.stop();
    temporal = undefined;
    const during = [makeOrder(), makeOrder(), makeOrder()];
    const answers = await Promise.all(during.map((o) => stack.app.inject({ method: 'POST', url: '/v1/orders', payload: o })));
    for (const a of answers) {
      expect(a.statusCode).toBe(202);
      expect(a.json()).toMatchObject({ status: 'queued', queued: true });
    }
    const paidWhileDown = await stack.app.inject({ method: 'POST', url: `/v1/orders/${encodeURIComponent(beforeId)}/events`, payload: { type: 'paid' } });
    expect(paidWhileDown.json()).toMatchObject({ status: 'queued' });
    const waiting = await stack.db.selectFrom('channel_events').select('dispatch_attempts').where('dispatched_at', 'is', null).execute();
    expect(waiting).toHaveLength(4);
    expect(waiting.every((r) => r.dispatch_attempts >= 1)).toBe(true);

    temporal = await startServer();
    // Workflows survive the restart (database on disk); the running relay delivers what waited in the inbox.
    await eventually(() => countUndispatched(stack.db), (n) => n === 0, 30_000, 'the relay delivers everything');
    await eventually(() => statusOf(beforeId), (s) => s === 'released', 60_000, 'the order paid while Temporal was down is released');
    for (const o of during) {
      const id = orderWorkflowId('taobao', o.shopId, o.platformOrderId);
      await eventually(() => statusOf(id), (s) => s === 'awaiting_payment', 60_000, `${id} running after the restart`);
    }
  });
});
