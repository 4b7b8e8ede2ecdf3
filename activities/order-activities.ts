import { ApplicationFailure } from '@temporalio/activity';
import { checkCompleteness, type CompletenessIssue } from '../domain/completeness.js';
import { canonicalOrderLoose, type CanonicalOrder } from '../domain/order.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/config.js';
import { fieldCipherFor } from '../config/field-cipher.js';
import type { Logger } from '../config/logger.js';
import type { Db } from '../db/database.js';
import { appendOrderEvents, upsertOrderSnapshot, type TimelineEvent } from '../db/orders.repository.js';
import { listSkus } from '../db/stock.repository.js';

export interface SyncReadModelInput {
  orderId: string;
  /** Monotonic per workflow: the read model keeps the highest version it has seen. */
  version: number;
  status: OrderStatus;
  order: unknown;
  workflowRunId?: string;
  paidAt?: string;
  releasedAt?: string;
  closedAt?: string;
  timeline: TimelineEvent[];
}

export interface ActivityDeps {
  db: Db;
  /** Temporal client, for activities that start or signal other workflows (packages, schedules). */
  temporal: Client;
  config: Config;
  logger: Logger;
}

/** Order activities. Each is idempotent: keyed by order id and the workflow's version or sequence number. */
export function createOrderActivities({ db, config, logger }: ActivityDeps) {
  const cipher = fieldCipherFor(config, logger);
  return {
    /** Mirrors the workflow's state into the read model and appends its new timeline entries. */
    async syncReadModel(input: SyncReadModelInput): Promise<{ applied: boolean }> {
      // Loose: an incomplete platform order is mirrored as it is; the workflow has flagged what it lacks.
      const parsed = canonicalOrderLoose.safeParse(input.order);
      if (!parsed.success) {
        // Retrying cannot fix a malformed order: fail the activity for good and let the workflow decide.
        throw ApplicationFailure.nonRetryable(`order ${input.orderId} does not match the canonical model: ${parsed.error.message}`, 'InvalidOrder');
      }
      await appendOrderEvents(db, input.orderId, input.timeline);
      const applied = await upsertOrderSnapshot(db, cipher, {
        orderId: input.orderId,
        status: input.status,
        version: input.version,
        order: parsed.data,
        ...(input.workflowRunId ? { workflowRunId: input.workflowRunId } : {}),
        paidAt: input.paidAt ?? null,
        releasedAt: input.releasedAt ?? null,
        closedAt: input.closedAt ?? null,
      });
      return { applied };
    },

    /** Completeness of the order against Orderly's master data (known SKUs). Read-only, so always safe to retry. */
    async validateOrder(input: { orderId: string; order: CanonicalOrder }): Promise<CompletenessIssue[]> {
      const codes = [...new Set(input.order.lines.map((l) => l.skuCode).filter((c) => c !== ''))];
      const known = codes.length ? await listSkus(db, codes) : [];
      return checkCompleteness(input.order, { knownSkus: new Set(known.map((k) => k.code)) });
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
