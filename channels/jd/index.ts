import type { ChannelConnector } from '../types.js';
import { mapJdOrder } from './order.js';
import { buildJdDetailRequest, buildJdPullRequest, JD_PAGING, parseJdDetail, parseJdPullPage } from './pull.js';
import { signJd } from './sign.js';

export { signJd } from './sign.js';
export { isJdCiphertext, jdBuyerKeys, jdDiscountKind, mapJdOrder } from './order.js';
export { buildJdDetailRequest, buildJdPullRequest, buildJosRequest, JD_OPTIONAL_FIELDS, JD_ORDER_STATES, JD_PAGING, parseJdDetail, parseJdPullPage } from './pull.js';

/** JD has no generally available push: orders come by pull only. */
export { buildJdDecryptRequest, JD_DECRYPT, JD_DECRYPT_SCENE, jdDecrypt, parseJdDecryptResponse } from './decrypt.js';
export const jdConnector: ChannelConnector = {
  platform: 'jd',
  paging: JD_PAGING,
  sign: signJd,
  mapOrder: mapJdOrder,
  buildPullRequest: buildJdPullRequest,
  buildDetailRequest: buildJdDetailRequest,
  parsePullPage: parseJdPullPage,
  parseDetail: parseJdDetail,
};
