import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MasterKeyError } from '../../../channels/credentials.js';
import { ChannelApiError } from '../../../channels/common.js';
import {
  collectDecrypted,
  decryptApis,
  decryptItems,
  openReceiver,
  planDecryptBatches,
  sealReceiver,
  type DecryptItem,
  type ReceiverHandle,
} from '../../../channels/decrypt.js';
import { buildDouyinDecryptRequest, douyinConnector, parseDouyinDecryptResponse, parseDouyinDetail } from '../../../channels/douyin/index.js';
import { buildJdDecryptRequest, parseJdDecryptResponse } from '../../../channels/jd/index.js';
import { buildPddDecryptRequest, parsePddDecryptResponse, parsePddDetail, pddConnector } from '../../../channels/pdd/index.js';
import { buildTaobaoDecryptRequest, parseTaobaoDecryptResponse } from '../../../channels/taobao/index.js';
import { fixture } from './fixture.js';

const credentials = { appKey: 'app-7788', appSecret: 'secret-7788', accessToken: 'tok-7788' };
const now = new Date('2026-11-11T13:00:00Z');

/** The items of a mapped fixture order, as the activity would plan them. */
function itemsOf(platform: 'douyin' | 'pdd', handle: ReceiverHandle): DecryptItem[] {
  return decryptItems(decryptApis[platform].rules, handle);
}

const dyOrder = douyinConnector.mapOrder(parseDouyinDetail(fixture('douyin/order-detail-encrypted.json')), { shopId: 'dy' }).order;
const dyItems = itemsOf('douyin', { platformOrderId: dyOrder.platformOrderId, encrypted: dyOrder.receiver.encrypted });
const pddOrder = pddConnector.mapOrder(parsePddDetail(fixture('pdd/order-info-masked.json')), { shopId: 'pdd' }).order;
const pddItems = itemsOf('pdd', { platformOrderId: pddOrder.platformOrderId, encrypted: pddOrder.receiver.encrypted });

describe('batching', () => {
  const handles = (n: number): ReceiverHandle[] =>
    Array.from({ length: n }, (_, i) => ({
      platformOrderId: `69000000000000000${String(i).padStart(2, '0')}`,
      encrypted: { name: `##n${i}==*k#1##`, phone: `$$p${i}==*k$1$$`, detail: `##d${i}==*k#1##` },
      addressKey: `oaid-${i}`,
    }));

  it('cuts ciphertexts into calls of the platform’s size: Douyin 50, PDD 100', () => {
    expect(planDecryptBatches(decryptApis.douyin.rules, handles(60)).batches.map((b) => b.length)).toEqual([50, 50, 50, 30]);
    expect(planDecryptBatches(decryptApis.pdd.rules, handles(60)).batches.map((b) => b.length)).toEqual([100, 80]);
  });

  it('takes one oaid per order for Taobao (20 a call) and JD', () => {
    const { batches } = planDecryptBatches(decryptApis.taobao.rules, handles(45));
    expect(batches.map((b) => b.length)).toEqual([20, 20, 5]);
    expect(batches[0]![0]).toEqual({ platformOrderId: '6900000000000000000', addressKey: 'oaid-0' });
  });

  it('sends a repeated order once and lists the orders that have nothing to decrypt', () => {
    const h = handles(2);
    const { batches, nothing } = planDecryptBatches(decryptApis.douyin.rules, [...h, h[0]!, { platformOrderId: 'bare', addressKey: 'x' }]);
    expect(batches.flat()).toHaveLength(6);
    expect(nothing).toEqual(['bare']);
    expect(planDecryptBatches(decryptApis.taobao.rules, [{ platformOrderId: 'no-oaid', encrypted: { name: '~a~1~' } }]).nothing).toEqual(['no-oaid']);
  });

  it('collects answers per order, fields and errors together', () => {
    const merged = collectDecrypted([
      { platformOrderId: 'a', plain: { name: '李燊' } },
      { platformOrderId: 'a', plain: { phone: '13800000000' } },
      { platformOrderId: 'a', error: 'detail: 300008 risk' },
      { platformOrderId: 'b', error: 'no answer' },
    ]);
    expect(merged.get('a')).toEqual({ plain: { name: '李燊', phone: '13800000000' }, errors: ['detail: 300008 risk'] });
    expect(merged.get('b')).toEqual({ plain: {}, errors: ['no answer'] });
  });
});

describe('Douyin order.batchDecrypt', () => {
  it('sends cipher_infos {auth_id, cipher_text} in the signed POST body, never in the URL', () => {
    const req = buildDouyinDecryptRequest(dyItems, credentials, now);
    expect(JSON.parse(req.body)).toEqual({ cipher_infos: dyItems.map((i) => ({ auth_id: '6923418871552735912', cipher_text: i.ciphertext })) });
    expect(req.body).toContain('"cipher_text":"##qIOpbLPevlQwA6f+yNJ7');
    const url = new URL(req.url);
    expect(url.pathname).toBe('/order/batchDecrypt');
    expect(url.searchParams.get('method')).toBe('order.batchDecrypt');
    expect(req.url).not.toMatch(/cipher|%23|%24|qIOp/);
    // The signature, computed here the platform's way over the body as sent.
    const ts = url.searchParams.get('timestamp')!;
    const text = `${credentials.appSecret}app_key${credentials.appKey}methodorder.batchDecryptparam_json${req.body}timestamp${ts}v2${credentials.appSecret}`;
    expect(url.searchParams.get('sign')).toBe(createHmac('sha256', credentials.appSecret).update(text, 'utf8').digest('hex'));
  });

  it('parses decrypt_infos back onto the fields: plaintext, privacy numbers, per-item errors', () => {
    const out = parseDouyinDecryptResponse(fixture('douyin/batch-decrypt.json'), dyItems);
    expect(out).toEqual([
      { platformOrderId: '6923418871552735912', plain: { name: '李𠮷祥' } },
      { platformOrderId: '6923418871552735912', plain: { phone: '13812340000', virtualPhone: true } },
      { platformOrderId: '6923418871552735912', error: 'detail: 300008 您的环境存在安全风险，请稍后再试' },
    ]);
  });

  it('reports items the answer leaves out, and fails the call on an envelope or custom_err error', () => {
    const onlyName = fixture('douyin/batch-decrypt.json');
    const extra: DecryptItem = { platformOrderId: '6923418871552735999', field: 'name', ciphertext: '##zz==*k#1##' };
    expect(parseDouyinDecryptResponse(onlyName, [...dyItems, extra]).at(-1)).toEqual({ platformOrderId: '6923418871552735999', error: 'no answer for name' });
    expect(() => parseDouyinDecryptResponse('{"code":90000,"msg":"已达到店铺解密上限","sub_code":"isv.business-failed","sub_msg":"已达到店铺解密上限","log_id":"1"}', dyItems)).toThrow(ChannelApiError);
    expect(() => parseDouyinDecryptResponse('{"code":10000,"msg":"success","data":{"decrypt_infos":[],"custom_err":{"err_code":300009,"err_msg":"quota"}}}', dyItems)).toThrow(/300009/);
  });
});

describe('PDD pdd.open.decrypt.batch', () => {
  it('sends data_list [{data_tag, encrypted_data}] as a signed form parameter', () => {
    const req = buildPddDecryptRequest(pddItems, credentials, now);
    const form = Object.fromEntries(new URLSearchParams(req.body));
    expect(form.type).toBe('pdd.open.decrypt.batch');
    expect(JSON.parse(form.data_list!)).toEqual(pddItems.map((i) => ({ data_tag: '261111-598765432109876', encrypted_data: i.ciphertext })));
    const { sign, ...rest } = form;
    const text = Object.keys(rest).sort().map((k) => k + rest[k]).join('');
    expect(sign).toBe(createHash('md5').update(`${credentials.appSecret}${text}${credentials.appSecret}`, 'utf8').digest('hex').toUpperCase());
  });

  it('parses data_decrypt_list, a privacy number as main-extension', () => {
    expect(parsePddDecryptResponse(fixture('pdd/decrypt-batch.json'), pddItems)).toEqual([
      { platformOrderId: '261111-598765432109876', plain: { name: '欧阳燊' } },
      { platformOrderId: '261111-598765432109876', plain: { phone: '17098765432-5678', virtualPhone: true } },
      { platformOrderId: '261111-598765432109876', plain: { detail: '龙华街道和平路18号𠮷祥苑3栋' } },
    ]);
    expect(() => parsePddDecryptResponse('{"error_response":{"error_code":70031,"error_msg":"解密次数超限"}}', pddItems)).toThrow(ChannelApiError);
  });
});

describe('Taobao taobao.top.oaid.decrypt', () => {
  const items: DecryptItem[] = [
    { platformOrderId: '4312578901234567890', addressKey: '1Zd5tS2BPgicHibjbZU2CvVXgt4qF5Dr2kIY0Cm7UUzibxLYic4FXYy3KrD8tEUCtO9JgX7yQ0w$Ab-c_d' },
    { platformOrderId: '4312578901234567999', addressKey: '1Zd5stale0ld0aid' },
    { platformOrderId: '4312578901234560000', addressKey: 'never-answered' },
  ];

  it('sends query_list [{tid, oaid, scene}] signed the TOP way', () => {
    const req = buildTaobaoDecryptRequest(items, credentials, now, { scene: '1002' });
    const form = Object.fromEntries(new URLSearchParams(req.body));
    expect(form.method).toBe('taobao.top.oaid.decrypt');
    expect(JSON.parse(form.query_list!)).toEqual(items.map((i) => ({ tid: i.platformOrderId, oaid: i.addressKey, scene: '1002' })));
    expect(JSON.parse(new URLSearchParams(buildTaobaoDecryptRequest(items, credentials, now).body).get('query_list')!)[0].scene).toBe('1004');
    const { sign, ...rest } = form;
    const text = Object.keys(rest).sort().map((k) => k + rest[k]).join('');
    expect(sign).toBe(createHash('md5').update(`${credentials.appSecret}${text}${credentials.appSecret}`, 'utf8').digest('hex').toUpperCase());
  });

  it('parses receiver_list: the whole receiver, a changed address as an error, a missing answer as an error', () => {
    expect(parseTaobaoDecryptResponse(fixture('taobao/oaid-decrypt.json'), items)).toEqual([
      {
        platformOrderId: '4312578901234567890',
        plain: { name: '𠮷祥', phone: '13900000000', detail: '燕儿窝路88号', province: '新疆维吾尔自治区', city: '乌鲁木齐市', district: '天山区', town: '燕儿窝街道' },
      },
      { platformOrderId: '4312578901234567999', error: 'oaid no longer matches the order (address changed): read the order again' },
      { platformOrderId: '4312578901234560000', error: 'no answer for the order' },
    ]);
    expect(() => parseTaobaoDecryptResponse('{"error_response":{"code":27,"msg":"Invalid session","sub_code":"isv.permission-denied"}}', items)).toThrow(ChannelApiError);
  });
});

describe('JD jingdong.jos.order.oaid.decrypt (?)', () => {
  const items: DecryptItem[] = [{ platformOrderId: '312345678901', addressKey: 'JDoaid~7f3c#a9$e1' }];

  it('sends getReceiverInfoListReqVO.orderInfos in the signed 360buy_param_json', () => {
    const req = buildJdDecryptRequest(items, credentials, now);
    const form = Object.fromEntries(new URLSearchParams(req.body));
    expect(form.method).toBe('jingdong.jos.order.oaid.decrypt');
    expect(JSON.parse(form['360buy_param_json']!)).toEqual({ getReceiverInfoListReqVO: { orderInfos: [{ oaid: 'JDoaid~7f3c#a9$e1', orderId: '312345678901' }], orderType: 'POP', scenesType: '1004' } });
  });

  it('parses the assumed returnType.data list, and a non-zero code as a failed call', () => {
    expect(parseJdDecryptResponse(fixture('jd/oaid-decrypt.json'), items)).toEqual([
      { platformOrderId: '312345678901', plain: { name: '燊燊', phone: '18600000000', detail: '阜通东大街6号院3号楼', province: '北京', city: '朝阳区', district: '望京街道' } },
    ]);
    expect(() => parseJdDecryptResponse('{"jingdong_jos_order_oaid_decrypt_responce":{"returnType":{"code":"500","msg":"no permission"}}}', items)).toThrow(ChannelApiError);
  });
});

describe('sealed receivers', () => {
  const key = createHash('sha256').update('test master key').digest();
  const plain = { name: '李𠮷祥', phone: '13812340000', detail: '文一西路88号', virtualPhone: true };

  it('seals with the master key: no plaintext in the sealed text, and it opens back for the same shop and order', () => {
    const sealed = sealReceiver(plain, key, 'dy-shop-9', '6923418871552735912');
    expect(sealed).toMatch(/^v1\./);
    for (const v of ['李', '13812340000', '文一西路', 'name']) expect(sealed).not.toContain(v);
    expect(sealReceiver(plain, key, 'dy-shop-9', '6923418871552735912')).not.toBe(sealed);
    expect(openReceiver(sealed, key, 'dy-shop-9', '6923418871552735912')).toEqual(plain);
  });

  it('does not open for another order, another shop or another key', () => {
    const sealed = sealReceiver(plain, key, 'dy-shop-9', '6923418871552735912');
    expect(() => openReceiver(sealed, key, 'dy-shop-9', '6923418871552735913')).toThrow(MasterKeyError);
    expect(() => openReceiver(sealed, key, 'dy-shop-8', '6923418871552735912')).toThrow(MasterKeyError);
    expect(() => openReceiver(sealed, Buffer.alloc(32, 7), 'dy-shop-9', '6923418871552735912')).toThrow(MasterKeyError);
  });
});
