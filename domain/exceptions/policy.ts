import { z } from 'zod';
import { ACTIONS_BY_TYPE } from './actions.js';
import {
  AUTO_RESOLVE_ACTIONS,
  DEFAULT_EXCEPTION_POLICY,
  EXCEPTION_TYPES,
  FINAL_ACTIONS,
  OWNER_ROLES,
  SEVERITIES,
  type EscalationStep,
  type ExceptionPolicy,
  type ExceptionType,
  type FinalAction,
  type TypePolicy,
} from './model.js';

// The exception policy as an admin writes it. Kept out of model.ts and out of the index: workflows import
// those, and zod has no place in workflow code.

/** Ninety days: longer than any SLA a seller means (a presale balance is due within weeks, not months). */
const MAX_MINUTES = 90 * 24 * 60;
const minutes = z.number().int().min(1).max(MAX_MINUTES);

/**
 * The final actions a type may carry out: a final action is one of the type's own resolutions, so closing
 * an unpaid order fits only a payment failure and shipping what is there only a stock shortage.
 */
function finalActionsOf(t: ExceptionType): [FinalAction, ...FinalAction[]] {
  const fits: Record<FinalAction, boolean> = {
    none: true,
    close_unpaid: t === 'PAYMENT_FAILED',
    ship_available: ACTIONS_BY_TYPE[t].includes('ship_available'),
    cancel_order: ACTIONS_BY_TYPE[t].includes('cancel_order'),
  };
  return ['none', ...FINAL_ACTIONS.filter((a) => a !== 'none' && fits[a])];
}

/** The automatic resolution a type may take: one of its own resolutions; a type that has none takes none. */
function autoResolveInputFor(t: ExceptionType) {
  const fits = AUTO_RESOLVE_ACTIONS.filter((a) => ACTIONS_BY_TYPE[t].includes(a));
  if (fits.length === 0) return z.undefined({ error: `${t} has no resolution a policy may apply by itself` }).optional();
  return z
    .strictObject({
      action: z.enum([fits[0]!, ...fits.slice(1)]),
      shops: z.array(z.string().min(1).max(64)).min(1).max(1000).optional().describe('Only for these shops; absent: every shop'),
    })
    .optional()
    .describe("A resolution applied by itself as soon as a suggestion proposes it (recorded as the policy's), e.g. ship_available where buyers accept split shipments");
}

export const escalationStepInput = z.strictObject({
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
  afterMinutes: minutes.describe('Minutes from opening until the exception reaches this level'),
  ownerRole: z.enum(OWNER_ROLES),
});

function typePolicyInputFor(t: ExceptionType) {
  return z
    .strictObject({
      severity: z.enum(SEVERITIES),
      ownerRole: z.enum(OWNER_ROLES).describe('Who owns a new exception of this type'),
      slaMinutes: minutes.describe('Minutes from opening until it is due (and reaches level 1)'),
      escalation: z
        .array(escalationStepInput)
        .min(1)
        .max(3)
        .describe('Levels 1, 2, 3 in order (the first one or two alone are allowed), each no earlier than the SLA and later than the one before'),
      finalAction: z.enum(finalActionsOf(t)).default('none').describe('What happens once the last level has passed as well'),
      finalActionAfterMinutes: z.number().int().min(0).max(MAX_MINUTES).optional().describe('Minutes after the last level before the final action applies'),
      autoResolve: autoResolveInputFor(t),
    })
    .superRefine((p, ctx) => {
      p.escalation.forEach((s, i) => {
        if (s.level !== i + 1) {
          ctx.addIssue({ code: 'custom', path: ['escalation', i, 'level'], message: `escalation step ${i + 1} must be level ${i + 1}, not ${s.level}` });
        }
        const before = i === 0 ? undefined : p.escalation[i - 1];
        if (!before && s.afterMinutes < p.slaMinutes) {
          ctx.addIssue({ code: 'custom', path: ['escalation', i, 'afterMinutes'], message: `level ${s.level} at ${s.afterMinutes} minutes is before the SLA of ${p.slaMinutes}` });
        }
        if (before && s.afterMinutes <= before.afterMinutes) {
          ctx.addIssue({ code: 'custom', path: ['escalation', i, 'afterMinutes'], message: `level ${s.level} at ${s.afterMinutes} minutes is not later than level ${before.level} at ${before.afterMinutes}` });
        }
      });
      if (p.finalAction === 'none' && p.finalActionAfterMinutes !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['finalActionAfterMinutes'], message: 'finalActionAfterMinutes needs a finalAction other than none' });
      }
    });
}

type TypePolicySchema = ReturnType<typeof typePolicyInputFor>;

const typesShape = Object.fromEntries(EXCEPTION_TYPES.map((t) => [t, typePolicyInputFor(t).optional()])) as {
  [K in ExceptionType]: z.ZodOptional<TypePolicySchema>;
};

/**
 * The exception policy as an admin writes it; the server assigns its version. Every type is optional: a
 * stored policy overrides the types it names, each as a whole, and the rest keep their defaults. Strict: an
 * unknown field or type is a mistake (a typo would otherwise silently keep the default), answered 400.
 */
export const exceptionPolicyInput = z.strictObject({
  id: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('exceptions.configured'),
  shipmentWarningMinutes: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .optional()
    .describe(`Minutes before a promised ship time that SHIPMENT_OVERDUE warns; absent: ${DEFAULT_EXCEPTION_POLICY.shipmentWarningMinutes}`),
  types: z.strictObject(typesShape).default({}).describe('Per exception type: severity, owner, SLA, escalation ladder, final action'),
});
export type ExceptionPolicyInput = z.infer<typeof exceptionPolicyInput>;

/** The settings key the exception policy is stored under. */
export const EXCEPTION_POLICY_KEY = 'exception-policy';

function typePolicyFrom(p: z.output<TypePolicySchema>): TypePolicy {
  const escalation: EscalationStep[] = p.escalation.map((s) => ({ level: s.level, afterMinutes: s.afterMinutes, ownerRole: s.ownerRole }));
  return {
    severity: p.severity,
    ownerRole: p.ownerRole,
    slaMinutes: p.slaMinutes,
    escalation,
    finalAction: p.finalAction,
    ...(p.finalActionAfterMinutes !== undefined ? { finalActionAfterMinutes: p.finalActionAfterMinutes } : {}),
    ...(p.autoResolve ? { autoResolve: { action: p.autoResolve.action, ...(p.autoResolve.shops ? { shops: p.autoResolve.shops } : {}) } } : {}),
  };
}

/**
 * The exception policy in force: the stored one with its stored version, each type it does not name taken
 * from the default; the default as a whole when none is stored or the stored value no longer parses (an
 * exception is never left without an owner and a due time by a bad setting).
 *
 * @example exceptionPolicyFrom(undefined) // DEFAULT_EXCEPTION_POLICY
 * @example exceptionPolicyFrom({ value: { types: { OUT_OF_STOCK: { severity: 'critical', ownerRole: 'ops', slaMinutes: 60,
 *   escalation: [{ level: 1, afterMinutes: 60, ownerRole: 'ops_lead' }] } } }, version: 3 }).types.OUT_OF_STOCK.slaMinutes // 60
 */
export function exceptionPolicyFrom(stored: { value: unknown; version: number } | undefined): ExceptionPolicy {
  if (!stored) return DEFAULT_EXCEPTION_POLICY;
  const parsed = exceptionPolicyInput.safeParse(stored.value);
  if (!parsed.success) return DEFAULT_EXCEPTION_POLICY;
  const { id, shipmentWarningMinutes, types } = parsed.data;
  const merged: Record<ExceptionType, TypePolicy> = { ...DEFAULT_EXCEPTION_POLICY.types };
  for (const t of EXCEPTION_TYPES) {
    const own = types[t];
    if (own) merged[t] = typePolicyFrom(own);
  }
  return {
    id,
    version: stored.version,
    shipmentWarningMinutes: shipmentWarningMinutes ?? DEFAULT_EXCEPTION_POLICY.shipmentWarningMinutes,
    types: merged,
  };
}
