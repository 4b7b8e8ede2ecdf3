import type { ChannelConnector } from '../types.js';
import { mapPddOrder } from './order.js';
import { buildPddDetailRequest, buildPddPullRequest, parsePddDetail, parsePddPullPage, PDD_PAGING } from './pull.js';
import { parsePddPush, pddAckBody, pddFrameIds, verifyPddPush } from './push.js';
import { signPdd } from './sign.js';

export { signPdd } from './sign.js';
export { parsePddPush, pddAckBody, pddAckFrame, pddFrameIds, PDD_PUSH_SIGN_HEADER, pddPushSignature, verifyPddPush } from './push.js';
export { mapPddOrder, pddBuyerKeys, pddPresale, pddReceiverFields } from './order.js';
export { buildPddDetailRequest, buildPddPullRequest, buildPddRequest, parsePddDetail, parsePddPullPage, PDD_PAGING } from './pull.js';

export { buildPddDecryptRequest, parsePddDecryptResponse, PDD_DECRYPT, pddDecrypt } from './decrypt.js';
export const pddConnector: ChannelConnector = {
  platform: 'pdd',
  paging: PDD_PAGING,
  sign: signPdd,
  verifyPush: verifyPddPush,
  parsePush: parsePddPush,
  ackBody: pddAckBody,
  messageIdsOf: pddFrameIds,
  mapOrder: mapPddOrder,
  buildPullRequest: buildPddPullRequest,
  buildDetailRequest: buildPddDetailRequest,
  parsePullPage: parsePddPullPage,
  parseDetail: parsePddDetail,
};
