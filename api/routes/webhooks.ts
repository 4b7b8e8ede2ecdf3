import { createHash } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ChannelPayloadError, JsonParseError, connectors, type ChannelConnector, type ParsedPush, type PushAck } from '../../channels/index.js';
import { needsDetail, pushOrderEvent } from '../../channels/orders.js';
import { fieldCipherFor } from '../../config/field-cipher.js';
import { recordInboxEvent, recordInboxEvents, type InboxEvent } from '../../db/inbox.repository.js';
import { orderWorkflowId, type Platform } from '../../domain/order.js';
import { storableText } from '../../domain/text.js';
import { channelContext } from '../channels/context.js';
import type { OrderEvent } from '../../domain/order-events.js';
import { openWatchedException } from '../../ingest/exception-watch.js';
import { inboxEventId, type PendingDetailPayload } from '../../ingest/ingest.js';
import { NoShopCredentialsError } from '../../ingest/shop-access.js';
import { createInboxNotifier } from '../../ingest/notify.js';

const params = z.object({ platform: z.string(), shopId: z.string() });

/**
 * Every message of a push is stored with the whole body (sealed), so a push costs its size times its messages.
 * Beyond this much a push is parked whole instead (kept once, an exception opened): no platform batches that
 * much (a TMC consume returns at most 200 messages), and storing it message by message could exhaust the
 * process and exceed what one statement may carry.
 */
const MAX_STORED_PUSH_CHARS = 64 * 1024 * 1024;

function send(reply: FastifyReply, ack: PushAck): FastifyReply {
  return reply.status(ack.status).header('content-type', ack.contentType).send(ack.body);
}

/**
 * `POST /webhooks/<platform>/<shopId>`: the platform's push (or Orderly's relay of a message channel).
 * The body is kept as the exact text received, since signatures are over it. A bad signature is refused
 * before anything is stored; a signed body that cannot be processed (unreadable, or naming ids that are not
 * ids) is kept in the inbox (payload null), parked as a `channel_malformed_push` exception and answered with
 * the platform's success, since delivering it again cannot change it; every readable message goes through the
 * inbox, deduplicated on the platform's message id, and the answer is the platform's own format.
 */
export const webhookRoutes: FastifyPluginAsync = async (app) => {
  const { db, logger, temporal, config } = app.services;
  // Pushed bodies and the events parsed from them are stored sealed: they carry the buyer's receiver.
  const cipher = fieldCipherFor(config, logger);
  const ctx = channelContext(app.services);
  const relays = createInboxNotifier(db, logger);

  // This plugin's scope only: every other route keeps Fastify's JSON parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/webhooks/:platform/:shopId', { schema: { hide: true } }, async (req, reply) => {
    const p = params.parse(req.params);
    const connector: ChannelConnector | undefined = (connectors as Record<string, ChannelConnector>)[p.platform];
    if (!connector) return reply.status(404).send({ error: 'not_found', message: `unknown platform ${p.platform}` });
    if (!connector.verifyPush || !connector.parsePush || !connector.ackBody) {
      return reply.status(404).send({ error: 'not_found', message: `${p.platform} has no push; its orders are pulled` });
    }
    const access = await ctx.shops.get(p.shopId).catch((e: unknown) => {
      // A shop never given credentials cannot verify a push, now or on any redelivery: refused like a bad signature.
      if (e instanceof NoShopCredentialsError) return 'none' as const;
      req.log.error({ err: e, shopId: p.shopId }, 'shop credentials unreadable');
      return null;
    });
    if (access === 'none') return reply.status(401).send({ error: 'unauthorized', message: `shop ${p.shopId} has no credentials to verify pushes with` });
    if (access === null) return reply.status(503).send({ error: 'unavailable', message: 'shop credentials unreadable' });
    if (!access || access.shop.platform !== p.platform || !access.shop.active) {
      return reply.status(404).send({ error: 'not_found', message: `no active ${p.platform} shop ${p.shopId}` });
    }
    // The shop's own platform, now known to be the one in the path, typed as a platform.
    const platform = access.shop.platform;
    const rawBody = typeof req.body === 'string' ? req.body : '';
    const log = req.log.child({ platform, shopId: p.shopId });

    if (!connector.verifyPush({ headers: req.headers, rawBody }, access.credentials)) {
      log.warn({ ip: req.ip, bytes: rawBody.length }, 'push refused: bad signature');
      return reply.status(401).send({ error: 'unauthorized', message: 'bad signature' });
    }

    // What the platform signed but Orderly cannot process now never will be: whatever the parser or the mapping
    // throws, the body is parked for a person (or a fixed parser), not refused into endless redelivery.
    const unprocessable = (e: unknown): string => {
      if (e instanceof JsonParseError || e instanceof ChannelPayloadError) return e.message;
      log.error({ err: e }, 'push parser failed on a signed body; parked');
      return storableText(`the push could not be processed: ${e instanceof Error ? e.message : String(e)}`).slice(0, 500);
    };
    let parsed: ParsedPush;
    try {
      parsed = connector.parsePush(rawBody);
    } catch (e) {
      return malformed(req, reply, connector, platform, p.shopId, rawBody, unprocessable(e));
    }

    if (parsed.events.length * rawBody.length > MAX_STORED_PUSH_CHARS) {
      const reason = `${parsed.events.length} messages in ${rawBody.length} characters: more than is stored message by message`;
      return malformed(req, reply, connector, platform, p.shopId, rawBody, reason);
    }

    // Store every message durably (one statement: all of them or none) and acknowledge. The inbox relay,
    // woken by a notification after the commit, delivers them to their workflows: messages that carry ids only are stored as
    // pending and read in full there, so the platform never waits on a detail call or on Temporal.
    const options = { processAtDeposit: access.shop.process_presale_at_deposit };
    let rows: InboxEvent[];
    try {
      rows = parsed.events.map((ev) => {
        const payload: PendingDetailPayload | OrderEvent = needsDetail(ev)
          ? { pending: 'detail', channelEvent: ev, options }
          : { ...pushOrderEvent(ev, undefined, options), eventId: inboxEventId(platform, p.shopId, ev.messageId) };
        const orderId = orderWorkflowId(platform, p.shopId, ev.platformOrderId);
        return { platform, shopId: p.shopId, messageId: ev.messageId, orderId, eventType: ev.type, source: 'webhook', payload, rawBody };
      });
    } catch (e) {
      return malformed(req, reply, connector, platform, p.shopId, rawBody, unprocessable(e));
    }
    let stored: number;
    try {
      stored = await recordInboxEvents(db, cipher, rows);
    } catch (e) {
      // The database failed: nothing of this push is stored, so ask the platform to deliver it again.
      log.warn({ err: e instanceof Error ? e.message : String(e) }, 'push not stored; asking the platform to retry');
      return send(reply, connector.ackBody('retry', parsed));
    }
    const duplicates = rows.length - stored;
    if (stored > 0) relays.notify();
    const outcome = { stored, duplicates };
    if (parsed.ignored.length) log.debug({ ignored: parsed.ignored.length }, 'push messages without an order event');
    log.debug(outcome, 'push accepted');
    return send(reply, connector.ackBody('success', parsed));
  });

  /**
   * Keeps what could not be processed, so that a human (or a fixed parser) can replay it; nothing is lost. The
   * platform is told success (acknowledging the message ids that can be read), so it stops delivering it.
   */
  async function malformed(req: FastifyRequest, reply: FastifyReply, connector: ChannelConnector, platform: Platform, shopId: string, rawBody: string, reason: string): Promise<FastifyReply> {
    const digest = createHash('sha256').update(rawBody).digest('hex').slice(0, 32);
    await recordInboxEvent(db, cipher, { platform, shopId, messageId: `malformed:${digest}`, orderId: null, eventType: 'malformed', source: 'webhook', payload: null, rawBody });
    // Its SLA timers run in a watch workflow; the platform's answer does not fail for Temporal being down (the
    // next malformed push of the shop finds the exception open and starts the watch then).
    const onWatchError = (e: unknown) => logger.warn({ platform, shopId, err: e instanceof Error ? e.message : String(e) }, 'exception watch not started');
    await openWatchedException({ db, client: temporal, taskQueue: config.TEMPORAL_TASK_QUEUE, onWatchError }, { kind: 'channel_malformed_push', shopId, detail: { platform, reason, digest } });
    logger.warn({ platform, shopId, reason, digest }, 'malformed push kept in the inbox');
    // Counted as what it is, whatever the platform is told.
    req.ingestOutcome = 'invalid';
    const ids = connector.messageIdsOf?.(rawBody) ?? [];
    const ignored = ids.map((messageId) => ({ messageId, topic: '', reason: `parked: ${reason}` }));
    return send(reply, connector.ackBody!('success', { events: [], ignored }));
  }
};
