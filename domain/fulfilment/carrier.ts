import type { Fen } from '../money.js';
import { roundScore, type DecisionRecord, type ExcludedCandidate, type ExclusionReason, type ScoredCandidate } from './decision.js';
import { regionMatches, regionPrefix, type Carrier, type CarrierRate, type LogisticsClass } from './types.js';

export interface CarrierRule {
  readonly id: string;
  readonly version: number;
  /** Parcels worth at least this much go only with a premium carrier. */
  readonly highValueFen: Fen;
}

/** Parcels of 2,000 yuan or more need a premium carrier; otherwise the cheapest one that can take it. */
export const DEFAULT_CARRIER_RULE: CarrierRule = { id: 'carrier.default', version: 1, highValueFen: 200_000 };

export interface CarrierRequest {
  /** The package being shipped, for the record. */
  readonly packageKey: string;
  readonly service: LogisticsClass;
  readonly weightG: number;
  readonly valueFen: Fen;
  readonly destinationRegionCode: string;
}

export interface CarrierChoice {
  /** The chosen carrier, or null when none qualifies (an exception for a person). */
  readonly carrierCode: string | null;
  readonly costFen: Fen | null;
  readonly decision: DecisionRecord;
}

/** The rate that applies to a destination: the one naming the most specific region, else the default. */
function rateFor(carrier: Carrier, service: LogisticsClass, regionCode: string): CarrierRate | undefined {
  let best: CarrierRate | undefined;
  let bestLen = -1;
  for (const rate of carrier.rates) {
    if (rate.service !== service) continue;
    if (rate.regions.length === 0) {
      if (bestLen < 0) {
        best = rate;
        bestLen = 0;
      }
      continue;
    }
    for (const r of rate.regions) {
      const p = regionPrefix(r);
      if (regionCode.startsWith(p) && p.length > bestLen) {
        best = rate;
        bestLen = p.length;
      }
    }
  }
  return best;
}

/**
 * The price of a parcel under a rate: first weight, then each started step.
 *
 * @example rateCost({ service: 'express', regions: [], firstWeightG: 1000, firstFen: 800, stepG: 1000, stepFen: 200 }, 2500) // 1200
 */
export function rateCost(rate: CarrierRate, weightG: number): Fen {
  const extra = Math.max(0, weightG - rate.firstWeightG);
  const steps = rate.stepG > 0 ? Math.ceil(extra / rate.stepG) : 0;
  return rate.firstFen + steps * rate.stepFen;
}

/**
 * Picks a carrier for a package by rules: it must be active, offer the service (express or freight), cover
 * the destination and accept the weight; a high-value parcel needs a premium carrier; among the rest the
 * cheapest wins (code breaks ties so the choice is stable).
 *
 * @example chooseCarrier({ packageKey: 'o1:SH:express', service: 'express', weightG: 800, valueFen: 9900,
 *   destinationRegionCode: '310104' }, carriers).carrierCode // 'YTO'
 */
export function chooseCarrier(request: CarrierRequest, carriers: readonly Carrier[], rule: CarrierRule = DEFAULT_CARRIER_RULE): CarrierChoice {
  const highValue = request.valueFen >= rule.highValueFen;
  const excluded: ExcludedCandidate[] = [];
  const eligible: { carrier: Carrier; cost: Fen }[] = [];
  for (const c of carriers) {
    const reasons: ExclusionReason[] = [];
    if (!c.active) reasons.push({ code: 'inactive', message: 'carrier is inactive' });
    if (!c.services.includes(request.service)) reasons.push({ code: 'service-not-offered', message: `does not offer ${request.service}` });
    if (!regionMatches(request.destinationRegionCode, c.regionsCovered)) {
      reasons.push({ code: 'region-not-covered', message: `does not deliver to ${request.destinationRegionCode}` });
    }
    if (request.weightG > c.maxWeightG) reasons.push({ code: 'overweight', message: `${request.weightG} g over its limit of ${c.maxWeightG} g` });
    if (request.weightG < c.minWeightG) reasons.push({ code: 'underweight', message: `${request.weightG} g under its minimum of ${c.minWeightG} g` });
    if (highValue && !c.premium) {
      reasons.push({ code: 'not-premium', message: `value ${request.valueFen} fen needs a premium carrier (from ${rule.highValueFen})` });
    }
    const rate = rateFor(c, request.service, request.destinationRegionCode);
    if (!rate) reasons.push({ code: 'no-rate', message: `no ${request.service} rate for ${request.destinationRegionCode}` });
    if (reasons.length > 0 || !rate) excluded.push({ id: c.code, reasons });
    else eligible.push({ carrier: c, cost: rateCost(rate, request.weightG) });
  }
  eligible.sort((a, b) => a.cost - b.cost || (a.carrier.code < b.carrier.code ? -1 : 1));

  const cheapest = eligible[0]?.cost ?? 0;
  const candidates: ScoredCandidate[] = eligible.map((e, i) => ({
    id: e.carrier.code,
    rank: i + 1,
    score: roundScore(e.cost > 0 ? cheapest / e.cost : 1),
    criteria: { cost: roundScore(e.cost > 0 ? cheapest / e.cost : 1) },
    metrics: { costFen: e.cost, premium: e.carrier.premium },
  }));
  const chosen = eligible[0];
  return {
    carrierCode: chosen?.carrier.code ?? null,
    costFen: chosen?.cost ?? null,
    decision: {
      kind: 'carrier',
      subject: request.packageKey,
      ruleId: rule.id,
      ruleVersion: rule.version,
      outcome: chosen
        ? `${chosen.carrier.code} at ${chosen.cost} fen${highValue ? ' (high value: premium only)' : ''}`
        : 'no carrier qualifies',
      chosen: chosen ? [chosen.carrier.code] : [],
      candidates,
      excluded,
      steps: [
        { step: 'eligibility', outcome: `${eligible.length} of ${carriers.length} carrier(s) qualify` },
        { step: 'cheapest', outcome: chosen ? `${chosen.carrier.code}` : 'none' },
      ],
    },
  };
}

/** What one order's carrier rules say (from its review): chosen carriers, excluded ones, the premium threshold. */
export interface OrderCarrierRules {
  readonly ruleSetVersion: number;
  /** Only these carriers; absent: any. */
  readonly choose?: readonly string[];
  readonly exclude: readonly string[];
  /** Parcels worth this much or more need a premium carrier; absent: no premium requirement. */
  readonly highValueFen?: number;
}

/**
 * The carrier rule and the carriers left out for a parcel several orders share: a carrier any member excludes,
 * or that a member choosing carriers did not choose, is left out; the lowest premium threshold of any member
 * applies. Members without rules (orders from before review rules) bring the default rule.
 *
 * @example carrierRulesForParcel([{ ruleSetVersion: 2, exclude: ['ZTO'] }], ['SF', 'ZTO']).notAllowed // Set { 'ZTO' }
 */
export function carrierRulesForParcel(members: readonly (OrderCarrierRules | undefined)[], carrierCodes: readonly string[]): { rule: CarrierRule; notAllowed: Set<string> } {
  const ruled = members.filter((m): m is OrderCarrierRules => m !== undefined);
  if (ruled.length === 0) return { rule: DEFAULT_CARRIER_RULE, notAllowed: new Set() };
  const thresholds = members.map((m) => (m ? (m.highValueFen ?? Number.MAX_SAFE_INTEGER) : DEFAULT_CARRIER_RULE.highValueFen));
  const notAllowed = new Set(carrierCodes.filter((c) => ruled.some((m) => m.exclude.includes(c) || (m.choose !== undefined && !m.choose.includes(c)))));
  return {
    rule: { id: 'rules.carrier', version: Math.max(...ruled.map((m) => m.ruleSetVersion)), highValueFen: Math.min(...thresholds) },
    notAllowed,
  };
}
