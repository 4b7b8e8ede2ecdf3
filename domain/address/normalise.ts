import { normaliseText } from './names.js';

// Punctuation and filler that buyers type inconsistently; none of it tells two doors apart.
const NOISE = /[\s,，.。、;；:：'"“”‘’()（）[\]【】{}<>《》\-—_~～·•/\\|!！?？#＃]/gu;
const DIGITS: Record<string, string> = { 零: '0', 〇: '0', 一: '1', 二: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9' };
// Different words for the same thing in a street address.
const SYNONYMS: readonly (readonly [RegExp, string])[] = [
  [/号楼/gu, '栋'],
  [/幢/gu, '栋'],
  [/座/gu, '栋'],
  [/单元/gu, '单元'],
  [/室/gu, ''],
];

/**
 * Normalises the street part of an address so trivial differences (spaces, full-width digits, 号楼 vs 栋,
 * 三单元 vs 3单元, punctuation) do not stop two orders to the same door from being merged.
 *
 * @example normaliseDetail('建国路 88号 3号楼 二单元 101室') === normaliseDetail('建国路88号3栋2单元101') // true
 */
export function normaliseDetail(detail: string): string {
  let s = normaliseText(detail).toLowerCase().replace(NOISE, '');
  // Single Chinese digits only: 十 and larger need real numeral parsing and are rare in door numbers.
  s = s.replace(/[零〇一二三四五六七八九](?=[栋单层楼号元室])/gu, (d) => DIGITS[d] ?? d);
  for (const [pattern, replacement] of SYNONYMS) s = s.replace(pattern, replacement);
  return s;
}

/**
 * A key that is equal for two addresses at the same door: the resolved region code plus the normalised detail.
 *
 * @example addressFingerprint('110105', '建国路88号') // '110105|建国路88号'
 */
export function addressFingerprint(regionCode: string, detail: string): string {
  return `${regionCode}|${normaliseDetail(detail)}`;
}
