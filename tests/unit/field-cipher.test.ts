import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { AesGcmFieldCipher, FieldDecryptError, fieldCipherFor } from '../../config/field-cipher.js';
import { AesGcmPayloadCodec } from '../../config/payload-codec.js';
import { PayloadKeyRing } from '../../config/payload-keys.js';
import {
  isSealed,
  maskBuyerFields,
  maskedAddress,
  maskName,
  maskPhone,
  maskReceiver,
  maskStreet,
  openJson,
  openText,
  sealedKeyId,
  sealJson,
} from '../../domain/buyer-data.js';

const key = (id: string) => ({ id, key: randomBytes(32) });
const FIELD = 'orders.receiver_enc';
const RECEIVER = { name: '欧阳青禾', phone: '13912345678', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文一西路969号7幢' };

describe('field cipher (AES-256-GCM, the payload key ring)', () => {
  it('seals a value under the current key, naming it, and opens it again; the text is nowhere in the ciphertext', () => {
    const cipher = new AesGcmFieldCipher(new PayloadKeyRing([key('k1')]));
    const sealed = cipher.seal(FIELD, JSON.stringify(RECEIVER));
    expect(sealed).toMatch(/^enc:v1:k1:[A-Za-z0-9+/]+=*$/);
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKeyId(sealed)).toBe('k1');
    for (const plain of ['欧阳青禾', '13912345678', '文一西路', '969']) expect(sealed).not.toContain(plain);
    expect(JSON.parse(cipher.open(FIELD, sealed))).toEqual(RECEIVER);
    // A fresh IV every time: the same value never seals to the same text (nothing to correlate rows by).
    expect(cipher.seal(FIELD, 'x')).not.toBe(cipher.seal(FIELD, 'x'));
    expect(cipher.open(FIELD, cipher.seal(FIELD, ''))).toBe('');
  });

  it('rotates: a ring of B then A seals with B and still opens what A sealed; without A it names the missing key', () => {
    const a = key('2026-01');
    const b = key('2026-06');
    const old = new AesGcmFieldCipher(new PayloadKeyRing([a]));
    const underA = old.seal(FIELD, '司马望舒');
    const rotated = new AesGcmFieldCipher(new PayloadKeyRing([b, a]));
    expect(rotated.open(FIELD, underA)).toBe('司马望舒');
    const underB = rotated.seal(FIELD, '司马望舒');
    expect(sealedKeyId(underB)).toBe('2026-06');
    expect(rotated.open(FIELD, underB)).toBe('司马望舒');
    // PAYLOAD_KEY_ID keeps the old key current while every process learns the new one.
    expect(sealedKeyId(new AesGcmFieldCipher(new PayloadKeyRing([b, a], '2026-01')).seal(FIELD, 'x'))).toBe('2026-01');
    const e = (() => {
      try {
        old.open(FIELD, underB);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(FieldDecryptError);
    expect((e as FieldDecryptError).keyId).toBe('2026-06');
    expect((e as Error).message).toContain('"2026-06"');
    expect((e as Error).message).not.toContain('司马望舒');
  });

  it('refuses a tampered value, a value moved to another column, a relabelled key id and a truncated one', () => {
    const k1 = key('k1');
    const k2 = { id: 'k2', key: k1.key };
    const cipher = new AesGcmFieldCipher(new PayloadKeyRing([k1, k2]));
    const sealed = cipher.seal(FIELD, '13912345678');
    const data = Buffer.from(sealed.slice('enc:v1:k1:'.length), 'base64');
    data[20] = data[20]! ^ 1;
    expect(() => cipher.open(FIELD, `enc:v1:k1:${data.toString('base64')}`)).toThrow(FieldDecryptError);
    expect(() => cipher.open('channel_events.raw_body', sealed)).toThrow(/fails authentication/);
    // The same key bytes under another id: the key id is authenticated too.
    expect(() => cipher.open(FIELD, sealed.replace('enc:v1:k1:', 'enc:v1:k2:'))).toThrow(/fails authentication/);
    expect(() => cipher.open(FIELD, 'enc:v1:k1:AAAA')).toThrow(/truncated/);
    expect(() => cipher.open(FIELD, '13912345678')).toThrow(/not sealed/);
  });

  it('keeps its keys apart from the payload codec: a field ciphertext is no payload and the reverse', async () => {
    const ring = new PayloadKeyRing([key('k1')]);
    const cipher = new AesGcmFieldCipher(ring);
    const codec = new AesGcmPayloadCodec(ring);
    const [payload] = await codec.encode([{ metadata: {}, data: new TextEncoder().encode('x') }]);
    // The codec's data (IV, ciphertext, tag) relabelled as a field value does not open.
    expect(() => cipher.open(FIELD, `enc:v1:k1:${Buffer.from(payload!.data!).toString('base64')}`)).toThrow(FieldDecryptError);
  });

  it('gives keyed digests for lookups: stable per key, one per key of the ring with the current first, bound to the field', () => {
    const a = key('a');
    const b = key('b');
    const underA = new AesGcmFieldCipher(new PayloadKeyRing([a]));
    const rotated = new AesGcmFieldCipher(new PayloadKeyRing([b, a]));
    const value = 'shop\u0001buyer\u0001a:330106|文三路478号';
    const [da] = underA.digests('packages.merge_key', value);
    expect(da).toMatch(/^h1:a:[A-Za-z0-9_-]{43}$/);
    expect(underA.digests('packages.merge_key', value)).toEqual([da]);
    expect(rotated.digests('packages.merge_key', value)).toEqual([expect.stringMatching(/^h1:b:/), da]);
    expect(underA.digests('other.field', value)[0]).not.toBe(da);
    expect(da).not.toContain('文三路');
    // The key matters: without it nobody recomputes the digest of a guessed street.
    expect(new AesGcmFieldCipher(new PayloadKeyRing([key('a')])).digests('packages.merge_key', value)[0]).not.toBe(da);
  });

  it('uses the payload codec key ring of the configuration (PAYLOAD_KEYS), once per configuration', () => {
    const a = key('cfg-a');
    const config = loadConfig({}, { NODE_ENV: 'test', PAYLOAD_KEYS: `${a.id}:${a.key.toString('base64')}` });
    const cipher = fieldCipherFor(config);
    expect(fieldCipherFor(config)).toBe(cipher);
    expect(sealedKeyId(cipher.seal(FIELD, 'x'))).toBe('cfg-a');
    expect(new AesGcmFieldCipher(new PayloadKeyRing([a])).open(FIELD, cipher.seal(FIELD, 'same key'))).toBe('same key');
  });

  it('seals and opens JSON and text columns, passing through values stored before sealing', () => {
    const cipher = new AesGcmFieldCipher(new PayloadKeyRing([key('k1')]));
    const sealed = sealJson(cipher, 'channel_events.payload', { type: 'created', order: { receiver: RECEIVER } });
    expect(openJson(cipher, 'channel_events.payload', sealed)).toEqual({ type: 'created', order: { receiver: RECEIVER } });
    expect(openJson(cipher, 'channel_events.payload', { type: 'paid' })).toEqual({ type: 'paid' });
    expect(openText(cipher, 'channel_events.raw_body', null)).toBeNull();
    expect(openText(cipher, 'channel_events.raw_body', 'legacy body')).toBe('legacy body');
    expect(openText(cipher, 'channel_events.raw_body', cipher.seal('channel_events.raw_body', '{"a":1}'))).toBe('{"a":1}');
  });
});

describe('masked buyer data', () => {
  it('masks names, phones and streets as lists show them; masked values stay as they are', () => {
    expect(maskName('李明轩')).toBe('李**');
    expect(maskName('欧阳青禾')).toBe('欧***');
    expect(maskName('王')).toBe('王*');
    expect(maskName('李**')).toBe('李**');
    expect(maskName('')).toBe('');
    expect(maskPhone('13900010001')).toBe('139****0001');
    expect(maskPhone('+86 139 1234 5678')).toBe('+86 1** **** 5678');
    expect(maskPhone('0571-88886666')).toBe('057*-****6666');
    expect(maskPhone('139****0001')).toBe('139****0001');
    expect(maskPhone('95588')).toBe('***88');
    expect(maskStreet('文三路478号5楼')).toBe('文三路***号*楼');
    expect(maskStreet('梧桐巷二十七弄九号')).toBe('梧桐巷***弄*号');
    expect(maskStreet('文三路**号')).toBe('文三路**号');
    expect(maskStreet('ＡＢ大厦１２０１室')).toBe('ＡＢ大厦****室');
  });

  it("masks a receiver: region plain, the opaque address id and the platform's ciphertexts kept", () => {
    const encrypted = { name: '~AgAAA~0~', phone: '$5678$AgB$1$' };
    const masked = maskReceiver({ ...RECEIVER, addressKey: 'oaid-1', encrypted });
    expect(masked).toEqual({ name: '欧***', phone: '139****5678', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文一西路***号*幢', addressKey: 'oaid-1', encrypted });
    expect(maskedAddress({ ...RECEIVER, town: '转塘街道' })).toBe('浙江省 杭州市 西湖区 转塘街道 文一西路***号*幢');
  });

  it('masks the buyer fields of edits and resolution params at any depth, and says whether it changed anything', () => {
    expect(maskBuyerFields({ receiver: { name: '王小明', phone: '13800001111', detail: '建国路88号', city: '北京市' }, sellerMemo: '送小样', fields: ['receiver.name'] })).toEqual({
      value: { receiver: { name: '王**', phone: '138****1111', detail: '建国路**号', city: '北京市' }, sellerMemo: '送小样', fields: ['receiver.name'] },
      masked: true,
    });
    expect(maskBuyerFields({ province: '浙江省', city: '杭州市', district: '西湖区', regionCode: '330106' })).toEqual({ value: { province: '浙江省', city: '杭州市', district: '西湖区', regionCode: '330106' }, masked: false });
    expect(maskBuyerFields({ receiver: { detail: '文三路**号' } }).masked).toBe(false);
  });
});
