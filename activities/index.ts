import { createBuyerDataActivities } from './buyer-data-activities.js';
import { createChannelActivities } from './channel-activities.js';
import { createExceptionActivities } from './exception-activities.js';
import { createFulfilmentActivities } from './fulfilment-activities.js';
import { createOrderActivities, type ActivityDeps } from './order-activities.js';
import { createReviewActivities } from './review-activities.js';
import { createTransferActivities } from './transfer-activities.js';

export type { ActivityDeps };

/** Every activity the worker registers, built from its dependencies so tests can pass real or fake ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createOrderActivities(deps),
    ...createReviewActivities(deps),
    ...createExceptionActivities(deps),
    ...createFulfilmentActivities(deps),
    ...createTransferActivities(deps),
    ...createChannelActivities(deps),
    ...createBuyerDataActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
