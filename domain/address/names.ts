/**
 * Name handling for Chinese administrative divisions: platforms write 广西, 广西省 (sic) or 广西壮族自治区 for
 * the same province, and buyers type 黔东南 for 黔东南苗族侗族自治州, so every region is matched by its full
 * name and by a short name with the administrative suffix and ethnic designations removed.
 */

/** The 56 recognised ethnic groups without the trailing 族, longest first so 土家 is tried before 土. */
const ETHNIC_GROUPS = [
  '柯尔克孜', '乌孜别克', '俄罗斯', '鄂伦春', '鄂温克', '达斡尔', '塔吉克', '塔塔尔', '哈萨克', '维吾尔',
  '布依', '朝鲜', '土家', '哈尼', '傈僳', '拉祜', '东乡', '纳西', '景颇', '仫佬', '布朗', '撒拉', '毛南',
  '仡佬', '锡伯', '阿昌', '普米', '德昂', '保安', '裕固', '独龙', '赫哲', '门巴', '珞巴', '基诺', '高山',
  '蒙古', '回', '藏', '苗', '彝', '壮', '满', '侗', '瑶', '白', '黎', '佤', '畲', '水', '土', '羌', '怒', '京',
  '汉',
].sort((a, b) => b.length - a.length);

/** Suffixes that mark the kind of division, longest first. */
const SUFFIXES = [
  '特别行政区', '自治区', '自治州', '自治县', '自治旗', '林区', '地区', '新区', '省', '市', '盟', '区', '县', '旗',
];

/**
 * Normalises free text for matching: full-width to half-width (NFKC), no whitespace (full-width included), and
 * no control or invisible format characters (NUL, zero-width spaces, byte-order marks) that pasted text carries.
 *
 * @example normaliseText(' 北京市\u3000朝阳区\u0000 ') // '北京市朝阳区'
 */
export function normaliseText(s: string): string {
  return s.normalize('NFKC').replace(/[\s\p{Cc}\p{Cf}]+/gu, '');
}

/**
 * The short form of a division's name, or the name itself when shortening would leave fewer than two
 * characters (县 names like 忠县 must stay whole or they would match every 忠 in an address).
 *
 * @example shortName('广西壮族自治区') // '广西'
 * @example shortName('黔东南苗族侗族自治州') // '黔东南'
 * @example shortName('忠县') // '忠县'
 */
export function shortName(name: string): string {
  let s = name;
  for (const suffix of SUFFIXES) {
    if (s.endsWith(suffix) && s.length - suffix.length >= 2) {
      s = s.slice(0, -suffix.length);
      break;
    }
  }
  // Ethnic designations come before the suffix and may repeat (苗族侗族), so strip them one by one.
  let changed = true;
  while (changed) {
    changed = false;
    for (const group of ETHNIC_GROUPS) {
      const tail = `${group}族`;
      if (s.endsWith(tail) && s.length - tail.length >= 2) {
        s = s.slice(0, -tail.length);
        changed = true;
        break;
      }
    }
    // 蒙古 appears without 族 in 博尔塔拉蒙古自治州.
    if (!changed) {
      for (const group of ETHNIC_GROUPS) {
        if (group.length >= 2 && s.endsWith(group) && s.length - group.length >= 2) {
          s = s.slice(0, -group.length);
          changed = true;
          break;
        }
      }
    }
  }
  return s.length >= 2 ? s : name;
}
