import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import type { Config } from '../../config/config.js';
import { AesGcmPayloadCodec, isEncryptedPayload, METADATA_KEY_ID, payloadCodecFor, payloadDataConverter, PayloadKeyRing } from '../../config/payload-codec.js';
import { parsePayloadKeys } from '../../config/payload-keys.js';
import { orderWorkflowId } from '../../domain/order.js';
import { createDispatcher } from '../../ingest/dispatcher.js';
import { makeOrder } from '../helpers/orders.js';
import { decodeHistoryPayloads, historyText, payloadsIn } from '../helpers/payloads.js';
import { createTestStack, eventually, type TestStack } from '../helpers/stack.js';

// Buyer data that appears nowhere else: found in a history, it can only have come from this order.
const BUYER = { name: '司马翠微', phone: '13987650417', detail: '梧桐巷77号琉璃苑3幢' };
const KEY_A = `key-a:${randomBytes(32).toString('base64')}`;
const KEY_B = `key-b:${randomBytes(32).toString('base64')}`;
const UI_ORIGIN = 'http://localhost:8233';

let stack: TestStack;
/** Reads Temporal as anyone with access to the cluster (or its UI without the codec endpoint) does. */
let rawClient: Client;
/** An ops key: orders, and the codec (admin and ops only: it shows buyer data). */
let ops: { authorization: string };

beforeAll(async () => {
  stack = await createTestStack({ PAYLOAD_KEYS: KEY_A });
  rawClient = new Client({ connection: stack.client.connection, namespace: stack.config.TEMPORAL_NAMESPACE });
  ops = { authorization: `Bearer ${(await stack.createKey('ops', { name: 'payload-encryption test' })).key}` };
});
afterAll(async () => {
  await stack?.close();
});

const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');
const toJson = (p: Payload) => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(p.data) });
const keyIdOf = (p: Payload) => Buffer.from(p.metadata?.[METADATA_KEY_ID] ?? new Uint8Array()).toString('utf8');

async function orderStatus(app: FastifyInstance, id: string): Promise<string | undefined> {
  const res = await app.inject({ method: 'GET', url: `/v1/orders/${encodeURIComponent(id)}`, headers: ops });
  return res.statusCode === 200 ? (res.json().status as string) : undefined;
}

async function postOrder(app: FastifyInstance): Promise<string> {
  const order = makeOrder({ receiver: { ...BUYER, province: '浙江省', city: '杭州市', district: '西湖区' } });
  const id = orderWorkflowId('taobao', order.shopId, order.platformOrderId);
  const res = await app.inject({ method: 'POST', url: '/v1/orders', headers: ops, payload: order });
  expect(res.statusCode).toBe(202);
  await eventually(() => orderStatus(app, id), (s) => s === 'awaiting_payment', 20_000, 'awaiting_payment');
  return id;
}

async function pay(app: FastifyInstance, id: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: `/v1/orders/${encodeURIComponent(id)}/events`, headers: ops, payload: { type: 'paid' } });
  expect(res.statusCode).toBe(202);
  await eventually(() => orderStatus(app, id), (s) => s === 'released', 20_000, 'released');
}

function expectNoBuyerData(text: string): void {
  for (const plain of Object.values(BUYER)) expect(text, `"${plain}" readable in the raw history`).not.toContain(plain);
}

describe('buyer data in Temporal histories', () => {
  it('is unreadable in the raw history of an order that ran through the stack; the codec endpoint decodes it', async () => {
    const id = await postOrder(stack.app);
    await pay(stack.app, id);
    await stack.client.workflow.getHandle(id).result();

    const history = await rawClient.workflow.getHandle(id).fetchHistory();
    expectNoBuyerData(historyText(history));
    const encrypted = payloadsIn(history).filter(isEncryptedPayload);
    // Start input, signals, activity inputs and results, the summary: all ciphertext under the current key.
    expect(encrypted.length).toBeGreaterThan(5);
    expect(new Set(encrypted.map(keyIdOf))).toEqual(new Set(['key-a']));
    // What stays plain is what the server must index: the search attributes, and no buyer data in them.
    const plain = payloadsIn(history).filter((p) => !isEncryptedPayload(p));
    expect(plain.every((p) => /^json\/plain$/.test(Buffer.from(p.metadata!.encoding!).toString()))).toBe(true);

    // The check above can fail: the same history, decoded with the key, shows the buyer.
    const decodedCopy = await rawClient.workflow.getHandle(id).fetchHistory();
    expect(await decodeHistoryPayloads(decodedCopy, [payloadCodecFor(stack.config)])).toBe(encrypted.length);
    const decodedText = historyText(decodedCopy);
    for (const value of Object.values(BUYER)) expect(decodedText).toContain(value);
    // As `maybeRecordHistory` keeps it: plain JSON that replays without any key.
    const recorded = historyToJSON(decodedCopy);
    expect(recorded).not.toContain(Buffer.from('binary/encrypted').toString('base64'));
    const bundle = { code: fs.readFileSync(inject('workflowBundlePath'), 'utf8') };
    await Worker.runReplayHistory({ workflowBundle: bundle }, historyFromJSON(JSON.parse(recorded)), id);

    // The Temporal UI's way: its payloads posted to the codec endpoint from its origin.
    const res = await stack.app.inject({
      method: 'POST',
      url: '/codec/decode',
      headers: { ...ops, origin: UI_ORIGIN, 'x-namespace': stack.config.TEMPORAL_NAMESPACE },
      payload: { payloads: encrypted.map(toJson) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    const answered = res.json<{ payloads: { metadata: Record<string, string>; data: string }[] }>().payloads;
    expect(answered).toHaveLength(encrypted.length);
    expect(answered.every((p) => Buffer.from(p.metadata.encoding!, 'base64').toString() !== 'binary/encrypted')).toBe(true);
    const withBuyer = answered.map((p) => Buffer.from(p.data, 'base64').toString('utf8')).filter((t) => t.includes(BUYER.name));
    expect(withBuyer.length).toBeGreaterThan(0);
    expect(withBuyer.join('\n')).toContain(BUYER.phone);
    expect(withBuyer.join('\n')).toContain(BUYER.detail);
  });

  it('speaks the remote codec protocol: preflight from the UI origin, encode, decode, errors', async () => {
    const preflight = await stack.app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace,authorization' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    for (const h of ['content-type', 'x-namespace', 'authorization']) expect(String(preflight.headers['access-control-allow-headers']).toLowerCase()).toContain(h);

    const foreign = await stack.app.inject({ method: 'OPTIONS', url: '/codec/encode', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    // Other routes stay without CORS.
    const health = await stack.app.inject({ method: 'GET', url: '/healthz', headers: { origin: UI_ORIGIN } });
    expect(health.headers['access-control-allow-origin']).toBeUndefined();

    const input = defaultPayloadConverter.toPayload({ receiver: { name: BUYER.name } });
    const enc = await stack.app.inject({ method: 'POST', url: '/codec/encode', headers: ops, payload: { payloads: [toJson(input)] } });
    expect(enc.statusCode).toBe(200);
    const [encoded] = enc.json().payloads as { metadata: Record<string, string>; data: string }[];
    expect(Buffer.from(encoded!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded!.metadata[METADATA_KEY_ID]!, 'base64').toString()).toBe('key-a');
    expect(Buffer.from(encoded!.data, 'base64').toString('utf8')).not.toContain(BUYER.name);
    const dec = await stack.app.inject({ method: 'POST', url: '/codec/decode', headers: ops, payload: { payloads: [encoded, toJson(input)] } });
    expect(dec.statusCode).toBe(200);
    expect(dec.json().payloads).toEqual([toJson(input), toJson(input)]);

    const [foreignKey] = await new AesGcmPayloadCodec(new PayloadKeyRing(parsePayloadKeys(`gone-1:${randomBytes(32).toString('base64')}`))).encode([input]);
    const unknown = await stack.app.inject({ method: 'POST', url: '/codec/decode', headers: ops, payload: { payloads: [toJson(foreignKey!)] } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toContain('"gone-1"');
    const malformed = await stack.app.inject({ method: 'POST', url: '/codec/decode', headers: ops, payload: { payloads: [{ data: 'not base64!' }] } });
    expect(malformed.statusCode).toBe(400);

    // Decoding shows buyer data: never without a key. The refusal carries CORS, so the UI sees a 401.
    const anonymous = await stack.injectAs(null, { method: 'POST', url: '/codec/decode', headers: { origin: UI_ORIGIN }, payload: { payloads: [encoded] } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(anonymous.json().payloads).toBeUndefined();

    // The Temporal UI sends no Authorization header, only cookies: a person signs in once and the key is kept
    // in an HttpOnly cookie for the codec paths; a viewer may not, and a revoked key's cookie stops at once.
    const page = await stack.injectAs(null, { method: 'GET', url: '/codec/session' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const opsKey = await stack.createKey('ops', { name: 'codec-session' });
    const viewer = await stack.createKey('viewer');
    expect((await stack.injectAs(viewer.key, { method: 'POST', url: '/codec/session' })).statusCode).toBe(403);
    const signIn = await stack.injectAs(opsKey.key, { method: 'POST', url: '/codec/session' });
    expect(signIn.statusCode, signIn.body).toBe(200);
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(/^orderly_codec=ork_[^;]+; Max-Age=43200; Path=\/codec; HttpOnly; SameSite=Lax/);
    const cookie = setCookie.split(';')[0]!;
    const viaCookie = await stack.injectAs(null, { method: 'POST', url: '/codec/decode', headers: { origin: UI_ORIGIN, cookie }, payload: { payloads: [encoded] } });
    expect(viaCookie.statusCode, viaCookie.body).toBe(200);
    expect(viaCookie.headers['access-control-allow-credentials']).toBe('true');
    expect(viaCookie.json().payloads).toEqual([toJson(input)]);
    // The cookie is for the codec only.
    expect((await stack.injectAs(null, { method: 'GET', url: '/v1/orders', headers: { cookie } })).statusCode).toBe(401);
    expect((await stack.app.inject({ method: 'POST', url: `/v1/api-keys/${opsKey.id}/revoke`, payload: {} })).statusCode).toBe(200);
    expect((await stack.injectAs(null, { method: 'POST', url: '/codec/decode', headers: { cookie }, payload: { payloads: [encoded] } })).statusCode).toBe(401);
  });

  it('keeps a history written under key A readable after the ring becomes B,A', async () => {
    const id = await postOrder(stack.app);
    const before = payloadsIn(await rawClient.workflow.getHandle(id).fetchHistory()).filter(isEncryptedPayload);
    expect(new Set(before.map(keyIdOf))).toEqual(new Set(['key-a']));

    // Rotation: every process restarts with B first and A kept. A fresh worker replays the history from the
    // start (no cached run), decrypting what A wrote; the API's client now writes under B.
    await stack.stopWorkers();
    await stack.stopRelay();
    const rotated: Config = Object.freeze({ ...stack.config, PAYLOAD_KEYS: `${KEY_B},${KEY_A}` });
    await stack.startWorker(rotated);
    const rotatedClient = new Client({ connection: stack.client.connection, namespace: rotated.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(rotated) });
    const dispatcher = createDispatcher({ client: rotatedClient, taskQueue: stack.taskQueue, paymentTimeoutMs: rotated.ORDER_PAYMENT_TIMEOUT });
    const rotatedApp = await buildApp({ services: { ...stack.app.services, config: rotated, temporal: rotatedClient, dispatcher } });
    try {
      await pay(rotatedApp, id);
      await rotatedClient.workflow.getHandle(id).result();

      const history = await rawClient.workflow.getHandle(id).fetchHistory();
      expectNoBuyerData(historyText(history));
      const encrypted = payloadsIn(history).filter(isEncryptedPayload);
      expect(new Set(encrypted.map(keyIdOf))).toEqual(new Set(['key-a', 'key-b']));
      const underA = encrypted.filter((p) => keyIdOf(p) === 'key-a');
      const underB = encrypted.filter((p) => keyIdOf(p) === 'key-b');

      // The rotated codec endpoint decodes both generations.
      const res = await rotatedApp.inject({ method: 'POST', url: '/codec/decode', headers: ops, payload: { payloads: underA.map(toJson) } });
      expect(res.statusCode).toBe(200);
      expect((res.json().payloads as { data: string }[]).map((p) => Buffer.from(p.data, 'base64').toString('utf8')).join('\n')).toContain(BUYER.name);
      const copy = await rawClient.workflow.getHandle(id).fetchHistory();
      await decodeHistoryPayloads(copy, [payloadCodecFor(rotated)]);
      expect(historyText(copy)).toContain(BUYER.detail);

      // A process still on A alone cannot read what B wrote, and says which key it lacks.
      const old = await stack.app.inject({ method: 'POST', url: '/codec/decode', headers: ops, payload: { payloads: underB.slice(0, 1).map(toJson) } });
      expect(old.statusCode).toBe(400);
      expect(old.json().message).toContain('"key-b"');
    } finally {
      await rotatedApp.close();
    }
  });
});
