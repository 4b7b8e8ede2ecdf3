import { ApplicationFailure, Context } from '@temporalio/activity';
import { masterKeyFrom } from '../channels/credentials.js';
import { collectDecrypted, decryptApiFor, planDecryptBatches, sealReceiver, type DecryptedItem, type DecryptItem, type PlainReceiver } from '../channels/decrypt.js';
import { isPermanentChannelError, sendSigned } from '../channels/http.js';
import { finishDecryptAudit, startDecryptAudit } from '../db/buyer-data.repository.js';
import type { Receiver } from '../domain/order.js';
import { loadShopAccess, type ShopAccess } from '../ingest/shop-access.js';
import type { ActivityDeps } from './order-activities.js';

// Buyer data in plain text, for the few steps that truly need it. Nothing in the order path calls this yet:
// routing uses the plain region, merging the platforms' opaque ids, waybills the platforms' own ids. It is
// here for the warehouse hand-off, which will open the sealed receivers it returns just before they leave.

export interface DecryptReceiversInput {
  shopId: string;
  /** Why plaintext is needed, for the audit (e.g. `warehouse_handoff`). */
  purpose: string;
  /** Who asks (a user, a service, the workflow on whose behalf), for the audit. */
  requestedBy: string;
  /** The orders' receivers as the order carries them: their ciphertexts or oaid, never plaintext. */
  orders: ReadonlyArray<{ platformOrderId: string; receiver: Pick<Receiver, 'encrypted' | 'addressKey'> }>;
  /** The platform's decrypt scene where it asks for one (Taobao, JD). */
  scene?: string;
}

export interface SealedReceiver {
  platformOrderId: string;
  /**
   * The decrypted fields sealed with the master key for this shop and order (`openReceiver` in
   * channels/buyer-data.ts), or null when nothing could be decrypted. Never plaintext.
   */
  sealed: string | null;
  /** Which fields the sealed receiver holds. */
  fields: string[];
  errors: string[];
}

export interface DecryptReceiversResult {
  receivers: SealedReceiver[];
  /** Calls made to the platform, each with its audit row. */
  calls: number;
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    // Called outside a worker (tests, scripts): no heartbeats, no caller to record.
    return undefined;
  }
}

/** A token bucket per shop: `rate` calls a second, bursts of at most `rate` (at least one). */
class CallPace {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.tokens = Math.max(1, rate);
    this.last = now();
  }

  async take(): Promise<void> {
    for (;;) {
      const t = this.now();
      this.tokens = Math.min(Math.max(1, this.rate), this.tokens + ((t - this.last) / 1000) * this.rate);
      this.last = t;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }
}

export interface BuyerDataActivityOptions {
  /** Clock and sleep of the call pace (tests). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The platforms' buyer-data decryption: batched to each platform's limit, paced per shop, every call audited. */
export function createBuyerDataActivities(deps: ActivityDeps, opts: BuyerDataActivityOptions = {}) {
  const { db, config, logger } = deps;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let masterKey: Buffer | undefined;
  const key = () => (masterKey ??= masterKeyFrom(config).key);
  const paces = new Map<string, CallPace>();
  const paceFor = (shopId: string, defaultRate: number): CallPace => {
    let p = paces.get(shopId);
    if (!p) paces.set(shopId, (p = new CallPace(config.BUYER_DECRYPT_CALLS_PER_SECOND ?? defaultRate, now, sleep)));
    return p;
  };

  return {
    /**
     * Decrypts the receivers of some orders of one shop with the platform's batch decrypt call and returns
     * them sealed with the master key: the plaintext exists only in this activity's memory. Every call is
     * audited (who, why, which orders, when, how many; never the values). Failures of single values come back
     * per order; a call the platform refuses for good fails its batch's orders, a transient failure is retried
     * by Temporal (calling again, and auditing again, for the whole input).
     */
    async decryptReceivers(input: DecryptReceiversInput): Promise<DecryptReceiversResult> {
      if (!input.purpose.trim() || !input.requestedBy.trim()) throw ApplicationFailure.nonRetryable('purpose and requestedBy are required for the audit', 'InvalidDecryptRequest');
      let found: ShopAccess | undefined;
      try {
        found = await loadShopAccess(db, input.shopId, key());
      } catch (e) {
        throw ApplicationFailure.nonRetryable(e instanceof Error ? e.message : String(e), 'ChannelPermanentError');
      }
      if (!found) throw ApplicationFailure.nonRetryable(`no shop ${input.shopId}`, 'ShopNotFound');
      const access: ShopAccess = found;
      const platform = access.shop.platform;
      if (platform === 'manual') throw ApplicationFailure.nonRetryable(`shop ${input.shopId} has no platform to decrypt with`, 'ChannelPermanentError');
      const api = decryptApiFor(platform);
      const ctx = activityContext();
      const caller = ctx ? `${ctx.info.workflowExecution?.workflowId ?? '-'}/${ctx.info.activityId}#${ctx.info.attempt}` : null;
      const pace = paceFor(input.shopId, api.rules.callsPerSecond);

      const { batches, nothing } = planDecryptBatches(
        api.rules,
        input.orders.map((o) => ({ platformOrderId: o.platformOrderId, encrypted: o.receiver.encrypted, addressKey: o.receiver.addressKey })),
      );
      const answers: DecryptedItem[] = [];
      for (const [i, batch] of batches.entries()) {
        await pace.take();
        ctx?.heartbeat({ call: i + 1, of: batches.length });
        answers.push(...(await callBatch(batch)));
      }

      async function callBatch(batch: DecryptItem[]): Promise<DecryptedItem[]> {
        const auditId = await startDecryptAudit(db, {
          shopId: input.shopId,
          platform,
          method: api.rules.method,
          purpose: input.purpose,
          requestedBy: input.requestedBy,
          caller,
          orderIds: batch.map((i) => i.platformOrderId),
          items: batch.length,
        });
        try {
          const body = await sendSigned(api.buildRequest(batch, access.credentials, new Date(), input.scene ? { scene: input.scene } : {}));
          const results = api.parseResponse(body, batch);
          const failed = results.filter((r) => r.error).length;
          const decrypted = results.length - failed;
          await finishDecryptAudit(db, auditId, { outcome: failed === 0 ? 'ok' : decrypted === 0 ? 'failed' : 'partial', decrypted, failed });
          return results;
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          await finishDecryptAudit(db, auditId, { outcome: 'failed', decrypted: 0, failed: batch.length, error: message });
          if (!isPermanentChannelError(e)) throw e;
          logger.warn({ shopId: input.shopId, method: api.rules.method, items: batch.length, err: message }, 'platform refused a decrypt call');
          return batch.map((i) => ({ platformOrderId: i.platformOrderId, error: message }));
        }
      }

      const byOrder = collectDecrypted(answers);
      const receivers = input.orders.map((o): SealedReceiver => {
        const got = byOrder.get(o.platformOrderId);
        const errors = [...(got?.errors ?? []), ...(nothing.includes(o.platformOrderId) ? [`nothing to decrypt: the order carries no ${api.rules.by === 'order' ? 'oaid' : 'ciphertext'}`] : [])];
        const plain: PlainReceiver = got?.plain ?? {};
        const fields = Object.keys(plain).filter((k) => k !== 'virtualPhone');
        return { platformOrderId: o.platformOrderId, sealed: fields.length > 0 ? sealReceiver(plain, key(), input.shopId, o.platformOrderId) : null, fields, errors };
      });
      logger.info(
        { shopId: input.shopId, purpose: input.purpose, orders: input.orders.length, calls: batches.length, sealed: receivers.filter((r) => r.sealed).length },
        'buyer data decrypted and sealed',
      );
      return { receivers, calls: batches.length };
    },
  };
}

export type BuyerDataActivities = ReturnType<typeof createBuyerDataActivities>;
