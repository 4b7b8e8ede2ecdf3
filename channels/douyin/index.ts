import type { ChannelConnector } from '../types.js';
import { mapDouyinOrder } from './order.js';
import { buildDouyinDetailRequest, buildDouyinPullRequest, DOUYIN_PAGING, parseDouyinDetail, parseDouyinPullPage } from './pull.js';
import { douyinAckBody, parseDouyinPush, verifyDouyinPush } from './push.js';
import { signDouyin } from './sign.js';

export { douyinEventSign, douyinSignText, signDouyin, type DouyinSignMethod } from './sign.js';
export { douyinAckBody, parseDouyinPush, verifyDouyinPush } from './push.js';
export { douyinBuyerKeys, douyinLineAmounts, douyinPresale, douyinReceiverFields, mapDouyinOrder } from './order.js';
export {
  buildDouyinDetailRequest,
  buildDouyinPullRequest,
  buildDouyinRequest,
  DOUYIN_PAGING,
  DOUYIN_SUCCESS_CODE,
  parseDouyinDetail,
  parseDouyinPullPage,
} from './pull.js';

export { buildDouyinDecryptRequest, DOUYIN_DECRYPT, douyinDecrypt, parseDouyinDecryptResponse } from './decrypt.js';
export const douyinConnector: ChannelConnector = {
  platform: 'douyin',
  paging: DOUYIN_PAGING,
  sign: signDouyin,
  verifyPush: verifyDouyinPush,
  parsePush: parseDouyinPush,
  ackBody: douyinAckBody,
  mapOrder: mapDouyinOrder,
  buildPullRequest: buildDouyinPullRequest,
  buildDetailRequest: buildDouyinDetailRequest,
  parsePullPage: parseDouyinPullPage,
  parseDetail: parseDouyinDetail,
};
