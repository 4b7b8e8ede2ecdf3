import type { ChannelConnector } from '../types.js';
import { mapTaobaoOrder } from './order.js';
import { buildTaobaoDetailRequest, buildTaobaoPullRequest, parseTaobaoDetail, parseTaobaoPullPage, TAOBAO_PAGING } from './pull.js';
import { parseTaobaoPush, taobaoAckBody, verifyTaobaoPush } from './push.js';
import { signTaobao } from './sign.js';

export { signTaobao, type TaobaoSignMethod } from './sign.js';
export { buildTopRequest } from './request.js';
export { mapTaobaoOrder, taobaoPresale, taobaoReceiverFields } from './order.js';
export {
  buildTmcConfirmRequest,
  buildTmcConsumeRequest,
  parseTaobaoPush,
  TAOBAO_PUSH_SIGN_HEADER,
  taobaoAckBody,
  taobaoPushSignature,
  verifyTaobaoPush,
} from './push.js';
export { buildTaobaoDetailRequest, buildTaobaoPullRequest, parseTaobaoDetail, parseTaobaoPullPage, TAOBAO_DETAIL_FIELDS, TAOBAO_PAGING } from './pull.js';

export { buildTaobaoDecryptRequest, parseTaobaoDecryptResponse, TAOBAO_DECRYPT, TAOBAO_DECRYPT_SCENE, taobaoDecrypt } from './decrypt.js';
export const taobaoConnector: ChannelConnector = {
  platform: 'taobao',
  paging: TAOBAO_PAGING,
  sign: signTaobao,
  verifyPush: verifyTaobaoPush,
  parsePush: parseTaobaoPush,
  ackBody: taobaoAckBody,
  mapOrder: mapTaobaoOrder,
  buildPullRequest: buildTaobaoPullRequest,
  buildDetailRequest: buildTaobaoDetailRequest,
  parsePullPage: parseTaobaoPullPage,
  parseDetail: parseTaobaoDetail,
};
