import { fetchPlatformOrder, pushOrderEvent } from '../channels/orders.js';
import type { createShopAccessCache } from './shop-access.js';
import { inboxEventId, type InboxResolver } from './ingest.js';

/**
 * Reads the order detail a stored push needs from its platform and builds the event to apply. Used after the
 * push is acknowledged, and by the relay for rows whose detail read failed (the platform was down).
 */
export function createDetailResolver(shops: ReturnType<typeof createShopAccessCache>): InboxResolver {
  return async (row) => {
    const access = await shops.get(row.shop_id);
    if (!access) throw new Error(`shop ${row.shop_id} is gone; push ${row.message_id} cannot be read in full`);
    const ev = row.payload.channelEvent;
    const detail = await fetchPlatformOrder(row.platform, access.credentials, row.shop_id, ev.platformOrderId);
    const pending = pushOrderEvent(ev, detail, row.payload.options);
    const event = { ...pending, eventId: inboxEventId(row.platform, row.shop_id, row.message_id) };
    return { event, ...(event.type === 'created' ? { order: event.order } : {}) };
  };
}
