import { describe, expect, it } from 'vitest';
import { parseAddress, type AddressInput, type AddressResolution } from '../../domain/address/index.js';
import { suggestFor } from '../../domain/exceptions/suggest.js';

const codeOf = (r: AddressResolution): string | undefined => (r.status === 'resolved' ? r.region.code : undefined);
const candidateCodes = (r: AddressResolution): string[] => r.candidates.map((c) => c.code);

describe('a street named after a division is not the division', () => {
  it('does not resolve the bad-address fault (测试省/测试市/测试区, 解放大道***号) to 焦作市解放区', () => {
    const r = parseAddress({ province: '测试省', city: '测试市', district: '测试区', detail: '解放大道***号' });
    expect(r.status).toBe('unresolved');
    expect(candidateCodes(r)).not.toContain('410802');
    expect(r.rest).toBe('解放大道***号');
  });

  it('does not take the division out of a road name in a detail given alone', () => {
    const roads: Record<string, string> = {
      '解放大道***号': '410802', // 解放区, 焦作
      '中山大道西***号': '442000', // 中山市
      '南京东路***号': '320100', // 南京市
      '西藏中路**号': '540000', // 西藏自治区
      '中山东一路18号': '442000',
      '长安街***号': '610116', // 长安区, 西安
      '朝阳北大街***号': '110105',
      '东城胡同8号': '110101',
    };
    for (const [detail, code] of Object.entries(roads)) {
      const r = parseAddress(detail);
      expect(r.status, detail).toBe('unresolved');
      expect(candidateCodes(r), detail).not.toContain(code);
    }
  });

  it('keeps the city the fields name and leaves the district missing (解放大道 in 焦作 is no proof of 解放区)', () => {
    const r = parseAddress({ province: '河南省', city: '焦作市', district: '', detail: '解放大道***号' });
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region).toMatchObject({ code: '410800', level: 'city' });
    expect(r.missing).toEqual(['district']);
    expect(r.rest).toBe('解放大道***号');
    expect(codeOf(parseAddress({ province: '湖北省', city: '武汉市', detail: '解放大道1号' }))).toBe('420100');
    expect(codeOf(parseAddress({ province: '广东省', city: '广州市', detail: '中山大道西***号' }))).toBe('440100');
  });

  it('does not take a road in front of a region name for a preamble (收货地址：)', () => {
    expect(parseAddress('解放大道***号解放区').status).toBe('unresolved');
    expect(codeOf(parseAddress('收货地址：浙江省杭州市西湖区文三路 478 号'))).toBe('330106');
  });
});

describe('province, city and district fields that name no region', () => {
  it('are not overruled by region names in the detail: ranked candidates, not a resolution', () => {
    const input: AddressInput = { province: '测试省', city: '测试市', district: '测试区', detail: '浙江省杭州市西湖区文三路478号' };
    const r = parseAddress(input);
    expect(r.status).toBe('ambiguous');
    if (r.status !== 'ambiguous') return;
    expect(r.reason).toBe('unrecognised-fields');
    expect(r.candidates[0]).toMatchObject({ code: '330106', conflicts: ['province:测试省', 'city:测试市', 'district:测试区'] });
    expect(r.rest).toBe('文三路478号');
    // The exception centre offers them as choices, best first.
    const s = suggestFor({ type: 'ADDRESS_AMBIGUOUS', candidates: r.candidates });
    expect(s[0]).toMatchObject({ rank: 1, action: 'choose_address', params: { province: '浙江省', city: '杭州市', district: '西湖区', regionCode: '330106' } });
  });

  it('stay ambiguous when the detail starts with a district that exists twice', () => {
    const r = parseAddress({ province: '火星省', city: '奥林匹斯市', district: '山脚区', detail: '西湖区文三路478号' });
    expect(r.status).toBe('ambiguous');
    expect(candidateCodes(r)).toEqual(expect.arrayContaining(['330106', '360103']));
  });

  it('are ignored when another field is recognised (a platform’s 其它区 placeholder)', () => {
    const r = parseAddress({ province: '浙江省', city: '杭州市', district: '其它区', detail: '南苑街道***号' });
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region.code).toBe('330100');
    expect(r.missing).toEqual(['district']);
  });

  it('count as not given when they hold only punctuation', () => {
    expect(codeOf(parseAddress({ province: '-', city: ' ', district: '/', detail: '浙江省杭州市西湖区文三路478号' }))).toBe('330106');
  });
});

describe('what keeps resolving', () => {
  // `completed`: levels neither a field nor the front of the detail named.
  const cases: Array<[string, AddressInput, string, readonly string[]]> = [
    ['a district filled from the front of the detail', { province: '浙江省', city: '杭州市', district: '', detail: '西湖区文三路478号' }, '330106', []],
    ['abbreviated province and city', { province: '浙江', city: '杭州', district: '', detail: '西湖区文三路***号' }, '330106', []],
    ['a district written short in the detail', { city: '杭州市', detail: '西湖文三路***号' }, '330106', ['province']],
    ['Beijing with 市辖区 as city', { province: '北京市', city: '市辖区', district: '朝阳区', detail: '建国路88号' }, '110105', ['city']],
    ['Beijing with the district in the detail', { province: '北京市', city: '北京市', district: '', detail: '朝阳区建国路**号' }, '110105', []],
    ['a county directly under a province, without a city', { province: '湖北省', city: '', district: '仙桃市', detail: '解放路***号' }, '429004', ['city']],
    ['Shanghai abbreviated', { province: '上海', city: '上海市', district: '浦东新区', detail: '张江路***号' }, '310115', []],
    ['an autonomous region', { province: '广西壮族自治区', city: '南宁市', district: '青秀区', detail: '民族大道***号' }, '450103', []],
    ['an autonomous region, short', { province: '广西', city: '南宁', district: '青秀区', detail: '民族大道***号' }, '450103', []],
    ['an autonomous prefecture', { province: '贵州省', city: '黔东南苗族侗族自治州', district: '凯里市', detail: '北京东路***号' }, '522601', []],
    ['an autonomous prefecture, short', { province: '贵州', city: '黔东南', district: '凯里市', detail: '' }, '522601', []],
    ['Xinjiang', { province: '新疆维吾尔自治区', city: '乌鲁木齐市', district: '天山区', detail: '燕儿窝路***号' }, '650102', []],
  ];
  for (const [what, input, code, completed] of cases) {
    it(what, () => {
      const r = parseAddress(input);
      expect(r.status).toBe('resolved');
      if (r.status !== 'resolved') return;
      expect(r.region.code).toBe(code);
      expect(r.completed).toEqual(completed);
    });
  }

  it('reads full-width spaces, full-width digits and stray control characters, and keeps no NUL in the rest', () => {
    const r = parseAddress({ province: '\u3000浙江省\u0000', city: '杭州市\u200b', district: '', detail: '西湖区\u3000文三路\u0000４７８号' });
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region.code).toBe('330106');
    expect(r.rest).toBe('文三路478号');
    expect(r.rest).not.toContain('\u0000');
  });
});
