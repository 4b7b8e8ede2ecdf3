import type { Platform } from '../domain/order.js';
import type { DecryptApi } from './buyer-data.js';
import { douyinDecrypt } from './douyin/decrypt.js';
import { jdDecrypt } from './jd/decrypt.js';
import { pddDecrypt } from './pdd/decrypt.js';
import { taobaoDecrypt } from './taobao/decrypt.js';

/** Each platform's buyer-data decrypt call (pure request building and parsing; the activity does the I/O). */
export const decryptApis: Readonly<Record<Exclude<Platform, 'manual'>, DecryptApi>> = {
  taobao: taobaoDecrypt,
  jd: jdDecrypt,
  douyin: douyinDecrypt,
  pdd: pddDecrypt,
};

export function decryptApiFor(platform: Platform): DecryptApi {
  if (platform === 'manual') throw new Error('manual orders have no platform to decrypt with');
  return decryptApis[platform];
}

export * from './buyer-data.js';
