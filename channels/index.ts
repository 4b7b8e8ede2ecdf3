import type { Platform } from '../domain/order.js';
import { douyinConnector } from './douyin/index.js';
import { jdConnector } from './jd/index.js';
import { pddConnector } from './pdd/index.js';
import { taobaoConnector } from './taobao/index.js';
import type { ChannelConnector } from './types.js';

export const connectors: Readonly<Record<Exclude<Platform, 'manual'>, ChannelConnector>> = {
  taobao: taobaoConnector,
  jd: jdConnector,
  douyin: douyinConnector,
  pdd: pddConnector,
};

export function connectorFor(platform: Platform): ChannelConnector {
  if (platform === 'manual') throw new Error('manual orders have no channel connector');
  return connectors[platform];
}

export * from './types.js';
export { firstPageStep, nextPageStep, splitWindow, type PageStep } from './paging.js';
export { parseJson, parseJsonObject, stableStringify, JsonParseError, type JsonObject, type JsonValue } from './json.js';
export { ChannelApiError, ChannelPayloadError } from './common.js';
