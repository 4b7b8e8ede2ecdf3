import { ChannelPayloadError, checkedPushEvent, field, header, md5Hex, optId, ownEntry, optObject, optString, reqId, sameDigest } from '../common.js';
import { isJsonObject, parseJson, parseJsonObject, type JsonValue } from '../json.js';
import type { ChannelEvent, ChannelEventType, IgnoredMessage, ParsedPush, PushAck, PushOutcome, PushRequest, ShopCredentials } from '../types.js';

/**
 * PDD's message service is a WebSocket whose connection is authenticated; its frames carry no signature.
 * Orderly's `/webhooks/pdd/<shop>` receives the frames from its relay (and from the simulator), which
 * signs the raw body PDD's md5 way. (?) Header and formula are Orderly's convention, not PDD's.
 */
export const PDD_PUSH_SIGN_HEADER = 'x-pdd-sign';

/** Uppercase md5(client_secret + raw body + client_secret). */
export function pddPushSignature(rawBody: string, clientSecret: string): string {
  return md5Hex(clientSecret + rawBody + clientSecret).toUpperCase();
}

export function verifyPddPush(req: PushRequest, credentials: ShopCredentials): boolean {
  const got = header(req.headers, PDD_PUSH_SIGN_HEADER);
  if (!got) return false;
  return sameDigest(pddPushSignature(req.rawBody, credentials.appSecret), got);
}

const TOPICS: Readonly<Record<string, ChannelEventType>> = {
  // PDD shows an order once it is paid and its group formed: confirmation is the payment event.
  pdd_trade_TradeConfirmed: 'paid',
  pdd_trade_TradeSellerShip: 'shipped',
  pdd_trade_TradeLogisticsAddressChanged: 'address_changed',
  pdd_refund_RefundCreated: 'refund_requested',
  pdd_refund_RefundClosed: 'refund_closed',
};

const IGNORED: Readonly<Record<string, string>> = {
  pdd_trade_TradeSuccess: 'trade success (buyer confirmed receipt)',
  pdd_refund_RefundAgreeAgreement: 'seller agreed to the refund; the refund itself follows',
};

const ID_KEYS = ['id', 'mallID', 'mall_id', 'refund_id'];

/** One inbound frame {id, commandType:"Common", sendTime, message{type, mallID, content}}, or an array of them. */
export function parsePddPush(rawBody: string): ParsedPush {
  const body = parseJson(rawBody, { idKeys: ID_KEYS });
  const frames: JsonValue[] = Array.isArray(body) ? body : [body];
  const events: ChannelEvent[] = [];
  const ignored: IgnoredMessage[] = [];
  for (const f of frames) {
    if (!isJsonObject(f)) throw new ChannelPayloadError('PDD frame is not an object');
    const messageId = reqId(f, 'id', 'PDD frame');
    const command = optString(f, 'commandType');
    const message = optObject(f, 'message');
    if (command !== 'Common' || !message) {
      ignored.push({ messageId, topic: command ?? '', reason: 'not a business message frame' });
      continue;
    }
    const topic = optString(message, 'type') ?? '';
    const raw = field(message, 'content');
    const content = typeof raw === 'string' ? parseJsonObject(raw, { idKeys: ID_KEYS }) : isJsonObject(raw) ? raw : {};
    // order_sn is already a string ("YYMMDD-..."); it must never pass through a number (optId keeps a string as it is).
    const platformOrderId = optId(content, 'tid');
    const type = ownEntry(TOPICS, topic);
    if (!type) {
      ignored.push({ messageId, topic, ...(platformOrderId ? { platformOrderId } : {}), reason: ownEntry(IGNORED, topic) ?? 'topic carries no order event' });
      continue;
    }
    if (!platformOrderId) throw new ChannelPayloadError(`PDD message ${messageId} (${topic}) has no tid`);
    events.push(checkedPushEvent({ messageId, type, platformOrderId, topic, data: content }, 'PDD message'));
  }
  return { events, ignored };
}

/**
 * The frame ids of a body that cannot be processed, as far as they can be read: its acknowledgement names them,
 * so that the message service does not deliver it again. Never throws.
 */
export function pddFrameIds(rawBody: string): string[] {
  let body: JsonValue;
  try {
    body = parseJson(rawBody, { idKeys: ID_KEYS });
  } catch {
    return [];
  }
  const ids = (Array.isArray(body) ? body : [body]).map((f) => (isJsonObject(f) ? f.id : undefined));
  return ids.flatMap((id) => (typeof id === 'string' && id !== '' ? [id] : typeof id === 'number' && Number.isSafeInteger(id) ? [String(id)] : []));
}

/** An ack frame that echoes the message id with every digit: written by hand, not through a JS number. */
export function pddAckFrame(messageId: string): string {
  const id = /^\d+$/.test(messageId) ? messageId : JSON.stringify(messageId);
  return `{"id":${id},"commandType":"Ack"}`;
}

/**
 * Success acknowledges every message (events and ignored ones alike) with an Ack frame; retry sends no
 * Ack, which is how the message service is told to deliver again.
 */
export function pddAckBody(outcome: PushOutcome, parsed?: ParsedPush): PushAck {
  if (outcome === 'retry') return { status: 503, contentType: 'application/json', body: '[]' };
  const ids = parsed ? [...parsed.events.map((e) => e.messageId), ...parsed.ignored.map((m) => m.messageId)] : [];
  const unique = [...new Set(ids)];
  const body = unique.length === 1 ? pddAckFrame(unique[0] ?? '') : `[${unique.map(pddAckFrame).join(',')}]`;
  return { status: 200, contentType: 'application/json', body };
}
