import { ChannelPayloadError, checkedPushEvent, field, header, jsonAck, optId, ownEntry, reqId, sameDigest } from '../common.js';
import { isJsonObject, parseJson, parseJsonObject } from '../json.js';
import type { ChannelEvent, ChannelEventType, IgnoredMessage, ParsedPush, PushAck, PushOutcome, PushRequest, ShopCredentials } from '../types.js';
import { douyinEventSign } from './sign.js';

/** Checks `app-id` is the shop's app and `event-sign` is md5(app_key + raw body + app_secret). */
export function verifyDouyinPush(req: PushRequest, credentials: ShopCredentials): boolean {
  const appId = header(req.headers, 'app-id');
  const sign = header(req.headers, 'event-sign');
  if (!sign || (appId !== undefined && appId !== credentials.appKey)) return false;
  return sameDigest(douyinEventSign(credentials.appKey, req.rawBody, credentials.appSecret), sign);
}

const TAGS: Readonly<Record<string, ChannelEventType>> = {
  '100': 'created',
  '101': 'paid',
  '102': 'shipped',
  '105': 'address_changed',
  '106': 'cancelled',
  '109': 'amount_changed',
  '113': 'memo_changed',
};

const IGNORED_TAGS: Readonly<Record<string, string>> = {
  '0': 'push address verification',
  '103': 'trade success (buyer confirmed receipt)',
  '110': 'trade pending (awaiting confirmation)',
};

const ID_KEYS = ['p_id', 's_ids', 's_id', 'shop_id', 'product_id', 'order_id'];

/** The body is a JSON array of {tag, msg_id, data}, `data` a JSON string. */
export function parseDouyinPush(rawBody: string): ParsedPush {
  const body = parseJson(rawBody, { idKeys: ID_KEYS });
  if (!Array.isArray(body)) throw new ChannelPayloadError('Douyin push body is not an array');
  const events: ChannelEvent[] = [];
  const ignored: IgnoredMessage[] = [];
  for (const m of body) {
    if (!isJsonObject(m)) throw new ChannelPayloadError('Douyin push message is not an object');
    const tag = optId(m, 'tag');
    if (tag === undefined) throw new ChannelPayloadError('Douyin push message without tag');
    const messageId = reqId(m, 'msg_id', 'Douyin push message');
    const raw = field(m, 'data');
    const data = typeof raw === 'string' ? parseJsonObject(raw, { idKeys: ID_KEYS }) : isJsonObject(raw) ? raw : {};
    const platformOrderId = optId(data, 'p_id');
    const type = ownEntry(TAGS, tag);
    if (!type) {
      ignored.push({ messageId, topic: tag, ...(platformOrderId ? { platformOrderId } : {}), reason: ownEntry(IGNORED_TAGS, tag) ?? 'tag carries no order event' });
      continue;
    }
    if (!platformOrderId) throw new ChannelPayloadError(`Douyin push ${messageId} (tag ${tag}) has no p_id`);
    events.push(checkedPushEvent({ messageId, type, platformOrderId, topic: tag, data }, 'Douyin push'));
  }
  return { events, ignored };
}

/** Douyin reads the body, not the status: code 0 is accepted, code 1 asks it to push again. */
export function douyinAckBody(outcome: PushOutcome): PushAck {
  return outcome === 'success' ? jsonAck(200, { code: 0, msg: 'success' }) : jsonAck(200, { code: 1, msg: 'fail' });
}
