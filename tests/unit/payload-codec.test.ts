import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/config.js';
import {
  AesGcmPayloadCodec,
  ENCODING_ENCRYPTED,
  METADATA_KEY_ID,
  PayloadDecryptError,
  payloadCodecFor,
} from '../../config/payload-codec.js';
import { DEV_PAYLOAD_KEY_FILE, parsePayloadKeys, PayloadKeyError, PayloadKeyRing, resolvePayloadKeys } from '../../config/payload-keys.js';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');
const key = (id: string) => ({ id, key: randomBytes(32) });
const spec = (...keys: { id: string; key: Buffer }[]) => keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');

/** A payload as the SDK makes it from a workflow argument: JSON with buyer data in it. */
const receiverPayload = (): Payload =>
  defaultPayloadConverter.toPayload({ receiver: { name: '欧阳青禾', phone: '13912345678', detail: '文一西路969号' } });

describe('AES-256-GCM payload codec', () => {
  it('round-trips a payload: ciphertext names its key, hides the data, decodes to the original', async () => {
    const k1 = key('k1');
    const codec = new AesGcmPayloadCodec(new PayloadKeyRing([k1]));
    const original = receiverPayload();
    const [encoded] = await codec.encode([original]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCODING_ENCRYPTED);
    expect(text(encoded!.metadata![METADATA_KEY_ID])).toBe('k1');
    const visible = text(encoded!.data) + Object.values(encoded!.metadata!).map(text).join();
    for (const plain of ['欧阳青禾', '13912345678', '文一西路', 'json/plain']) expect(visible).not.toContain(plain);

    const [decoded] = await codec.decode([encoded!]);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ receiver: { name: '欧阳青禾', phone: '13912345678', detail: '文一西路969号' } });
  });

  it('uses a fresh IV for every payload', async () => {
    const codec = new AesGcmPayloadCodec(new PayloadKeyRing([key('k1')]));
    const [a, b] = await codec.encode([receiverPayload(), receiverPayload()]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('detects tampering: a flipped byte, a cut tag, a payload relabelled to another key', async () => {
    const k1 = key('k1');
    const k2 = key('k2');
    const codec = new AesGcmPayloadCodec(new PayloadKeyRing([k1, k2]));
    const [encoded] = await codec.encode([receiverPayload()]);

    const flipped = Buffer.from(encoded!.data!);
    flipped[20] = flipped[20]! ^ 0x01;
    await expect(codec.decode([{ ...encoded!, data: flipped }])).rejects.toThrow(/key "k1" fails authentication/);

    const cut = Buffer.from(encoded!.data!).subarray(0, encoded!.data!.length - 1);
    await expect(codec.decode([{ ...encoded!, data: cut }])).rejects.toThrow(PayloadDecryptError);

    const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, [METADATA_KEY_ID]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key "k2" fails authentication/);
  });

  it('rotates: a payload encrypted under the old key decodes once a new key is current; new payloads use the new key', async () => {
    const old = key('2026-01');
    const fresh = key('2026-06');
    const [underOld] = await new AesGcmPayloadCodec(new PayloadKeyRing([old])).encode([receiverPayload()]);

    const rotated = new AesGcmPayloadCodec(new PayloadKeyRing(parsePayloadKeys(spec(fresh, old))));
    expect(rotated.ring.current.id).toBe('2026-06');
    const [decoded] = await rotated.decode([underOld!]);
    expect(defaultPayloadConverter.fromPayload<{ receiver: { name: string } }>(decoded!).receiver.name).toBe('欧阳青禾');
    const [underNew] = await rotated.encode([receiverPayload()]);
    expect(text(underNew!.metadata![METADATA_KEY_ID])).toBe('2026-06');

    // PAYLOAD_KEY_ID picks the current key wherever it is listed (a key distributed before it is used).
    const staged = new PayloadKeyRing(parsePayloadKeys(spec(fresh, old)), '2026-01');
    expect(staged.current.id).toBe('2026-01');
  });

  it('refuses a payload that names an unknown key, naming the key', async () => {
    const [underOld] = await new AesGcmPayloadCodec(new PayloadKeyRing([key('retired-7')])).encode([receiverPayload()]);
    const codec = new AesGcmPayloadCodec(new PayloadKeyRing([key('k9')]));
    const err = await codec.decode([underOld!]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadDecryptError);
    expect((err as PayloadDecryptError).keyId).toBe('retired-7');
    expect((err as Error).message).toContain('"retired-7"');
    expect((err as Error).message).toContain('PAYLOAD_KEYS');

    const noKey = { ...underOld!, metadata: { encoding: underOld!.metadata!.encoding! } };
    await expect(codec.decode([noKey])).rejects.toThrow(/names no key/);
  });

  it('passes through payloads that are not encrypted (histories recorded before encryption)', async () => {
    const codec = new AesGcmPayloadCodec(new PayloadKeyRing([key('k1')]));
    const plain = receiverPayload();
    const binary: Payload = { metadata: { encoding: Buffer.from('binary/null') } };
    const [a, b] = await codec.decode([plain, binary]);
    expect(a).toBe(plain);
    expect(b).toBe(binary);
    expect(await codec.decode([])).toEqual([]);
  });
});

describe('payload keys', () => {
  it('parses id:base64 lists and rejects what is not one', () => {
    const a = key('a');
    const b = key('b.2');
    expect(parsePayloadKeys(` ${spec(a, b)} `).map((k) => k.id)).toEqual(['a', 'b.2']);
    expect(() => parsePayloadKeys('')).toThrow(PayloadKeyError);
    expect(() => parsePayloadKeys(a.key.toString('base64'))).toThrow(/entry 1 is not id:base64/);
    expect(() => parsePayloadKeys(`short:${randomBytes(16).toString('base64')}`)).toThrow(/"short" must decode to 32 bytes/);
    expect(() => parsePayloadKeys(`${spec(a)},${spec(a)}`)).toThrow(/names key id "a" twice/);
    expect(() => parsePayloadKeys(`bad id:${a.key.toString('base64')}`)).toThrow(/key id "bad id"/);
    expect(() => new PayloadKeyRing([a], 'z')).toThrow(/PAYLOAD_KEY_ID is "z"/);
  });

  it('checks PAYLOAD_KEYS when the configuration is loaded, without repeating the key', () => {
    const secret = randomBytes(16).toString('base64');
    let message = '';
    try {
      loadConfig({ PAYLOAD_KEYS: `k1:${secret}` });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain('PAYLOAD_KEYS');
    expect(message).not.toContain(secret);
    expect(loadConfig({ PAYLOAD_KEYS: spec(key('k1')) }).PAYLOAD_KEYS).toMatch(/^k1:/);
  });

  describe('without PAYLOAD_KEYS', () => {
    const dirs: string[] = [];
    const tempDataDir = () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-keys-'));
      dirs.push(d);
      return path.join(d, 'data');
    };
    afterEach(() => {
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    });

    it('refuses to start in production, saying what to set', () => {
      const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: tempDataDir() });
      expect(() => resolvePayloadKeys(config)).toThrow(/PAYLOAD_KEYS must be set in production/);
      expect(() => payloadCodecFor(config)).toThrow(PayloadKeyError);
      expect(fs.existsSync(config.dataDir)).toBe(false);
    });

    it('generates a development key once, mode 0600, that every process of the machine shares', async () => {
      const dataDir = tempDataDir();
      const first = resolvePayloadKeys({ NODE_ENV: 'development', dataDir });
      expect(first).toMatchObject({ source: 'dev-file', created: true, file: path.join(dataDir, DEV_PAYLOAD_KEY_FILE) });
      expect(fs.statSync(first.file!).mode & 0o777).toBe(0o600);
      expect(first.ring.current.id).toMatch(/^dev-/);

      // Another process (the worker beside the API, a test file): the same key, so it reads what the first wrote.
      const second = resolvePayloadKeys({ NODE_ENV: 'test', dataDir });
      expect(second.created).toBe(false);
      expect(second.ring.current.key.equals(first.ring.current.key)).toBe(true);
      const [encoded] = await new AesGcmPayloadCodec(first.ring).encode([receiverPayload()]);
      await expect(new AesGcmPayloadCodec(second.ring).decode([encoded!])).resolves.toHaveLength(1);
      expect(fs.readdirSync(dataDir)).toEqual([DEV_PAYLOAD_KEY_FILE]);
    });

    it('leaves the development file alone once PAYLOAD_KEYS is set, and refuses PAYLOAD_KEY_ID alone', () => {
      const dataDir = tempDataDir();
      const configured = resolvePayloadKeys({ NODE_ENV: 'development', dataDir, PAYLOAD_KEYS: spec(key('k1')) });
      expect(configured.source).toBe('config');
      expect(fs.existsSync(dataDir)).toBe(false);
      expect(() => resolvePayloadKeys({ NODE_ENV: 'development', dataDir, PAYLOAD_KEY_ID: 'k1' })).toThrow(/PAYLOAD_KEY_ID is set but PAYLOAD_KEYS is not/);
    });
  });
});
