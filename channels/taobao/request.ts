import { formBody, utcToBeijing } from '../common.js';
import type { ShopCredentials, SignedRequest } from '../types.js';
import { signTaobao, type TaobaoSignMethod } from './sign.js';

const TOP_ROUTER = 'https://eco.taobao.com/router/rest';

/** A signed TOP call: system parameters, business parameters, `sign`, as a form POST to the router. */
export function buildTopRequest(
  method: string,
  business: Readonly<Record<string, string>>,
  credentials: ShopCredentials,
  now: Date,
  signMethod: TaobaoSignMethod = 'md5',
): SignedRequest {
  const params: Record<string, string> = {
    method,
    app_key: credentials.appKey,
    timestamp: utcToBeijing(now),
    format: 'json',
    v: '2.0',
    sign_method: signMethod,
    ...(credentials.accessToken ? { session: credentials.accessToken } : {}),
    ...business,
  };
  params.sign = signTaobao(params, credentials.appSecret);
  return {
    method: 'POST',
    url: credentials.baseUrl ?? TOP_ROUTER,
    params,
    contentType: 'application/x-www-form-urlencoded',
    body: formBody(params),
  };
}
