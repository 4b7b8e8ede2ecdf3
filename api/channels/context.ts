import { masterKeyFrom } from '../../channels/credentials.js';
import { createShopAccessCache } from '../../ingest/shop-access.js';
import type { Services } from '../plugins/services.js';

export interface ChannelContext {
  masterKey: Buffer;
  shops: ReturnType<typeof createShopAccessCache>;
}

const contexts = new WeakMap<Services, ChannelContext>();

/**
 * One master key and one shop cache per app, shared by the shops and webhook routes so that a credentials
 * change made through the API is seen by the next push at once. Throws (start-up fails) in production
 * without a master key.
 */
export function channelContext(services: Services): ChannelContext {
  let c = contexts.get(services);
  if (!c) {
    const { key, insecure } = masterKeyFrom(services.config);
    if (insecure) services.logger.warn('ORDERLY_MASTER_KEY is unset: shop credentials are encrypted with the public development key');
    c = { masterKey: key, shops: createShopAccessCache(services.db, key) };
    contexts.set(services, c);
  }
  return c;
}
