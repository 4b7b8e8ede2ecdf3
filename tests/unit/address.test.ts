import { describe, expect, it } from 'vitest';
import {
  addressFingerprint,
  allRegions,
  haversineKm,
  normaliseDetail,
  parseAddress,
  regionCentre,
  shortName,
} from '../../domain/address/index.js';

describe('shortName', () => {
  it('drops suffixes and ethnic designations', () => {
    expect(shortName('广西壮族自治区')).toBe('广西');
    expect(shortName('新疆维吾尔自治区')).toBe('新疆');
    expect(shortName('黔东南苗族侗族自治州')).toBe('黔东南');
    expect(shortName('博尔塔拉蒙古自治州')).toBe('博尔塔拉');
    expect(shortName('忠县')).toBe('忠县');
    expect(shortName('北京市')).toBe('北京');
  });
});

describe('parseAddress', () => {
  it('resolves full structured addresses', () => {
    const r = parseAddress({ province: '广东省', city: '深圳市', district: '南山区', detail: '科技园北京路1号' });
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region).toMatchObject({ code: '440305', province: { code: '440000' }, city: { code: '440300' } });
    expect(r.completed).toEqual([]);
    expect(r.rest).toBe('科技园北京路1号');
  });

  it('reads the regions from the front of free text and keeps the street', () => {
    const r = parseAddress('收货地址：浙江省杭州市西湖区文三路 478 号');
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region.code).toBe('330106');
    expect(r.rest).toBe('文三路478号');
  });

  it('accepts short names (广西南宁青秀区)', () => {
    const r = parseAddress('广西南宁青秀区民族大道');
    expect(r.status === 'resolved' && r.region.code).toBe('450103');
  });

  it('completes the province of a city given alone', () => {
    const r = parseAddress({ city: '苏州' });
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region).toMatchObject({ code: '320500', level: 'city', province: { code: '320000', name: '江苏省' } });
    expect(r.completed).toEqual(['province']);
    expect(r.missing).toEqual(['district']);
  });

  it('resolves an address with only a unique district (海淀区) and completes the rest', () => {
    const r = parseAddress({ district: '海淀区' });
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region).toMatchObject({ code: '110108', province: { code: '110000' }, city: { code: '110100' } });
    expect(r.completed).toEqual(['province', 'city']);
  });

  it('reports ambiguity for a district only that exists twice (朝阳区) with ranked candidates', () => {
    const r = parseAddress({ district: '朝阳区' });
    expect(r.status).toBe('ambiguous');
    if (r.status !== 'ambiguous') return;
    expect(r.reason).toBe('same-name');
    expect(r.candidates.map((c) => c.code)).toEqual(['110105', '220104']);
    expect(r.candidates.map((c) => c.province.name)).toEqual(['北京市', '吉林省']);
  });

  it('lets the province decide between same-named districts', () => {
    const r = parseAddress('吉林省长春市朝阳区人民大街');
    expect(r.status === 'resolved' && r.region.code).toBe('220104');
  });

  it('does not take a street named after a district for the district', () => {
    const r = parseAddress({ province: '吉林省', city: '长春市', detail: '朝阳路1号' });
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region.code).toBe('220100');
    expect(r.missing).toEqual(['district']);
  });

  it('reports a conflict when the levels contradict each other', () => {
    const r = parseAddress({ province: '河北省', city: '苏州市' });
    expect(r.status).toBe('ambiguous');
    expect(r.status === 'ambiguous' && r.reason).toBe('conflict');
  });

  it('finds county-level cities written in the city field', () => {
    const r = parseAddress({ province: '湖北省', city: '仙桃市' });
    expect(r.status === 'resolved' && r.region.code).toBe('429004');
  });

  it('resolves a city without districts (东莞) with nothing missing', () => {
    const r = parseAddress('广东省东莞市长安镇振安路');
    expect(r.status).toBe('resolved');
    if (r.status !== 'resolved') return;
    expect(r.region).toMatchObject({ code: '441900', level: 'city' });
    expect(r.missing).toEqual([]);
    expect(r.rest).toBe('长安镇振安路');
  });

  it('resolves a municipality district without the city level written', () => {
    const r = parseAddress({ province: '重庆', district: '城口县' });
    expect(r.status === 'resolved' && r.region.city).toEqual({ code: '500200', name: '重庆市' });
  });

  it('is unresolved when nothing is recognised', () => {
    expect(parseAddress('hello world').status).toBe('unresolved');
  });
});

describe('centres and distance', () => {
  it('has a centre for every province and city, and districts fall back to their city', () => {
    for (const r of allRegions()) expect(regionCentre(r.code), r.code).toBeDefined();
    expect(regionCentre('320506')).toEqual(regionCentre('320500'));
  });

  it('measures Beijing to Tianjin at about 110 km and Beijing to Guangzhou at about 1,890 km', () => {
    const bj = regionCentre('110000')!;
    expect(haversineKm(bj, regionCentre('120000')!)).toBeGreaterThan(100);
    expect(haversineKm(bj, regionCentre('120000')!)).toBeLessThan(130);
    expect(haversineKm(bj, regionCentre('440100')!)).toBeGreaterThan(1800);
    expect(haversineKm(bj, regionCentre('440100')!)).toBeLessThan(1950);
  });
});

describe('address normalisation', () => {
  it('treats trivial differences as the same door', () => {
    expect(normaliseDetail('建国路 88号 3号楼 二单元 101室')).toBe(normaliseDetail('建国路88号3栋2单元101'));
    expect(addressFingerprint('110105', '建国路８８号')).toBe(addressFingerprint('110105', '建国路 88 号'));
    expect(addressFingerprint('110105', '建国路88号')).not.toBe(addressFingerprint('110105', '建国路89号'));
  });
});
