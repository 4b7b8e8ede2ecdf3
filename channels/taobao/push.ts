import { ChannelPayloadError, checkedPushEvent, field, header, jsonAck, md5Hex, optId, ownEntry, optString, reqId, reqString, sameDigest } from '../common.js';
import { isJsonObject, parseJson, parseJsonObject, type JsonObject, type JsonValue } from '../json.js';
import type { ChannelEvent, ChannelEventType, IgnoredMessage, ParsedPush, PushAck, PushOutcome, PushRequest, ShopCredentials, SignedRequest } from '../types.js';
import { buildTopRequest } from './request.js';

/**
 * TMC is not a signed HTTP push: messages are fetched with `taobao.tmc.messages.consume` (or a TMC
 * WebSocket) over an authenticated channel, so the platform signs nothing per message. Orderly's
 * `/webhooks/taobao/<shop>` receives them from its TMC relay (and from the simulator), which signs the
 * raw body the TOP way. (?) This header and formula are Orderly's convention, not Taobao's: keep them here.
 */
export const TAOBAO_PUSH_SIGN_HEADER = 'x-tmc-sign';

/** Uppercase md5(app_secret + raw body + app_secret), the TOP md5 wrapping applied to the body. */
export function taobaoPushSignature(rawBody: string, appSecret: string): string {
  return md5Hex(appSecret + rawBody + appSecret).toUpperCase();
}

export function verifyTaobaoPush(req: PushRequest, credentials: ShopCredentials): boolean {
  const got = header(req.headers, TAOBAO_PUSH_SIGN_HEADER);
  if (!got) return false;
  return sameDigest(taobaoPushSignature(req.rawBody, credentials.appSecret), got);
}

const ID_KEYS = ['id', 'tid', 'oid', 'refund_id', 'user_id', 'pub_app_key'];

const TOPIC_TYPES: Readonly<Record<string, ChannelEventType | ((content: JsonObject) => ChannelEventType)>> = {
  taobao_trade_TradeCreate: 'created',
  // A step (presale) trade's TradeBuyerPay is the balance: the deposit has its own topic.
  taobao_trade_TradeBuyerPay: (c) => (optString(c, 'type') === 'step' ? 'balance_paid' : 'paid'),
  taobao_trade_TradeBuyerStepPay: 'deposit_paid',
  taobao_trade_TradeSellerShip: 'shipped',
  taobao_trade_TradePartlySellerShip: 'shipped',
  taobao_trade_TradeClose: 'cancelled',
  taobao_trade_TradeMemoModified: 'memo_changed',
  taobao_trade_TradeLogisticsAddressChanged: 'address_changed',
  taobao_trade_TradeModifyFee: 'amount_changed',
  taobao_refund_RefundCreated: 'refund_requested',
  taobao_refund_RefundClosed: 'refund_closed',
  taobao_refund_RefundSuccess: 'refunded',
};

/** The TMC message list inside a consume response, a bare array of messages, or one message. */
function messagesOf(body: JsonValue): JsonValue[] {
  if (Array.isArray(body)) return body;
  if (!isJsonObject(body)) throw new ChannelPayloadError('TMC body is neither a message nor a list');
  const consume = body.tmc_messages_consume_response;
  if (isJsonObject(consume)) {
    const wrapper = consume.messages;
    const list = isJsonObject(wrapper) ? wrapper.tmc_message : undefined;
    return Array.isArray(list) ? list : [];
  }
  return [body];
}

export function parseTaobaoPush(rawBody: string): ParsedPush {
  const body = parseJson(rawBody, { idKeys: ID_KEYS });
  const events: ChannelEvent[] = [];
  const ignored: IgnoredMessage[] = [];
  for (const m of messagesOf(body)) {
    if (!isJsonObject(m)) throw new ChannelPayloadError('TMC message is not an object');
    const messageId = reqId(m, 'id', 'TMC message');
    const topic = reqString(m, 'topic', 'TMC message');
    const rawContent = field(m, 'content');
    const content = typeof rawContent === 'string' ? parseJsonObject(rawContent, { idKeys: ID_KEYS }) : isJsonObject(rawContent) ? rawContent : {};
    const platformOrderId = optId(content, 'tid');
    const rule = ownEntry(TOPIC_TYPES, topic);
    if (!rule) {
      ignored.push({ messageId, topic, ...(platformOrderId ? { platformOrderId } : {}), reason: 'topic carries no order event' });
      continue;
    }
    if (!platformOrderId) throw new ChannelPayloadError(`TMC message ${messageId} (${topic}) has no tid`);
    const type = typeof rule === 'function' ? rule(content) : rule;
    events.push(checkedPushEvent({ messageId, type, platformOrderId, topic, data: content }, 'TMC message'));
  }
  return { events, ignored };
}

/**
 * (?) The answer of Orderly's TMC webhook. TMC itself is acknowledged with `taobao.tmc.messages.confirm`
 * (see buildTmcConfirmRequest), which the relay sends once the webhook has answered success.
 */
export function taobaoAckBody(outcome: PushOutcome): PushAck {
  return outcome === 'success' ? jsonAck(200, { success: true }) : jsonAck(503, { success: false });
}

/** `taobao.tmc.messages.consume`: fetch up to `quantity` (10..200) messages of the app's group. */
export function buildTmcConsumeRequest(credentials: ShopCredentials, now: Date, quantity = 100, groupName = 'default'): SignedRequest {
  const q = Math.min(200, Math.max(10, Math.trunc(quantity)));
  return buildTopRequest('taobao.tmc.messages.consume', { quantity: String(q), group_name: groupName }, credentials, now);
}

/** `taobao.tmc.messages.confirm` for up to 200 message ids (strings: they exceed 2^53). */
export function buildTmcConfirmRequest(messageIds: readonly string[], credentials: ShopCredentials, now: Date): SignedRequest {
  if (messageIds.length === 0 || messageIds.length > 200) throw new RangeError('confirm 1..200 messages at a time');
  return buildTopRequest('taobao.tmc.messages.confirm', { s_message_ids: messageIds.join(',') }, credentials, now);
}
