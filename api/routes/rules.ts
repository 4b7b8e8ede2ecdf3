import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadReviewContexts, ordersCreatedBetween } from '../../db/review-context.repository.js';
import {
  currentPublication,
  ensureDefaultRuleSet,
  listVersions,
  publish,
  publishedRuleSet,
  rollback,
  RuleSetError,
  ruleSetVersion,
  saveDraft,
  type RuleSetPublication,
  type StoredRuleSet,
} from '../../db/rules.repository.js';
import { canonicalOrder, utcInstant, type CanonicalOrder } from '../../domain/order.js';
import { analyseRuleSet } from '../../domain/rules/analysis.js';
import { compareRuleSets, factSettingsOf, OUTCOME_FIELDS, sameFactSettings, type DryRunFinding, type DryRunOrder, type DryRunOutcome } from '../../domain/rules/dry-run.js';
import { compileRuleSet } from '../../domain/rules/evaluate.js';
import { orderFacts } from '../../domain/rules/order-facts.js';
import { ruleSetInput, RULE_STAGES, type RuleSet } from '../../domain/rules/schema.js';
import { AppError } from '../errors.js';
import { errorBody } from './fulfilment.common.js';

// The rule model (review, priority, merge, split, carrier, allocation) as immutable versions: a draft is stored
// as a new version, publishing puts a version in force, a rollback puts an earlier published one back. A dry
// run shows what a draft would change on the orders of a period before it is published.

/** Who wrote a draft, when the client says (there is no sign-in yet). */
const AUTHOR_HEADER = 'x-orderly-user';

const MAX_DRY_RUN_ORDERS = 50_000;

const finding = z.object({
  ruleId: z.string(),
  stage: z.enum(RULE_STAGES),
  kind: z.enum(['never_fires', 'shadowed', 'never_fired_in_period', 'shadowed_in_period']),
  message: z.string(),
  by: z.string().optional().describe('shadowed: the earlier rule that always stops the stage first'),
  orders: z.number().int().optional().describe('shadowed_in_period: orders on which the condition held'),
  stoppedBy: z
    .array(z.object({ ruleId: z.string(), orders: z.number().int() }))
    .optional()
    .describe('shadowed_in_period: the rules that stopped the stage first, with on how many orders'),
});

const versionOut = z.object({
  version: z.number().int(),
  description: z.string().nullable(),
  document: ruleSetInput.describe('The rule set as stored (validated when it was written)'),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  published: z.boolean().describe('This version is in force now'),
  findings: z.array(finding).describe('What the static analysis proves: rules that can never fire, rules an earlier rule always stops'),
});

const publicationOut = z.object({
  version: z.number().int().describe('The version in force from now on'),
  action: z.enum(['publish', 'rollback']),
  comment: z.string().nullable(),
  publishedAt: z.string(),
});

/** Versions are PostgreSQL integers: a larger number names no version, and is refused as such (400, not a database error). */
const MAX_VERSION = 2_147_483_647;
const versionParams = z.object({ version: z.coerce.number().int().min(1).max(MAX_VERSION) });
const storedVersion = z.number().int().min(1).max(MAX_VERSION);
const comment = z.string().trim().min(1).max(500);

const verdictOut = z.object({
  kind: z.enum(['approve', 'manual_review', 'hold', 'reject']),
  reasons: z.array(z.string()).optional(),
  reason: z.string().optional(),
  minutes: z.number().int().optional(),
});

const outcomeOut = z.object({
  verdict: verdictOut,
  priority: z.number().int(),
  tags: z.array(z.string()),
  merge: z.object({ neverMerge: z.boolean(), holdWindowSeconds: z.number().int().optional() }),
  carrier: z.object({ choose: z.array(z.string()).optional(), exclude: z.array(z.string()), highValueFen: z.number().int().optional() }),
  split: z.object({ maxExpressWeightG: z.number().int().optional() }),
  allocation: z.object({ excludeWarehouses: z.array(z.string()), reservationAttempts: z.number().int() }),
  fired: z.array(z.string()).describe('The rules that fired, in evaluation order'),
});

const dryRunBody = z
  .strictObject({
    draft: z
      .union([z.strictObject({ version: storedVersion.describe('A stored version') }), ruleSetInput])
      .describe('A rule set as PUT /v1/rules/draft takes it, or a stored version'),
    from: utcInstant.describe('Orders the platform created at or after this instant'),
    to: utcInstant.describe('... and before this one'),
    limit: z.number().int().min(1).max(MAX_DRY_RUN_ORDERS).default(5000).describe('At most this many orders, the oldest first'),
  })
  .refine((b) => Date.parse(b.from) < Date.parse(b.to), { message: 'from must be before to', path: ['to'] });

const dryRunOut = z.object({
  period: z.object({ from: z.string(), to: z.string() }),
  baseVersion: z.number().int().describe('The published version the draft is compared with'),
  draftVersion: z.number().int().nullable().describe('The stored version run as the draft; null for a rule set sent in the request'),
  orders: z.number().int().describe('Orders evaluated'),
  skipped: z.number().int().describe('Orders of the period whose stored order is not a valid canonical order'),
  truncated: z.boolean().describe('The period holds more orders than `limit`: only the oldest were run'),
  changes: z.array(z.object({ orderId: z.string(), before: outcomeOut, after: outcomeOut, changed: z.array(z.enum(OUTCOME_FIELDS)) })),
  totals: z.object({
    approvedBefore: z.number().int(),
    approvedAfter: z.number().int(),
    manualBefore: z.number().int(),
    manualAfter: z.number().int(),
    heldBefore: z.number().int(),
    heldAfter: z.number().int(),
    rejectedBefore: z.number().int(),
    rejectedAfter: z.number().int(),
    changed: z.number().int(),
  }),
  findings: z.array(finding),
});

function versionView(set: StoredRuleSet, current: number | undefined): z.input<typeof versionOut> {
  const { version, createdAt, createdBy, ...document } = set;
  return {
    version,
    description: set.description ?? null,
    document,
    createdAt: createdAt.toISOString(),
    createdBy,
    published: version === current,
    findings: analyseRuleSet(set),
  };
}

function outcomeView(o: DryRunOutcome): z.infer<typeof outcomeOut> {
  const v = o.verdict;
  return {
    verdict: v.kind === 'manual_review' ? { kind: v.kind, reasons: [...v.reasons] } : v,
    priority: o.priority,
    tags: [...o.tags],
    merge: o.merge,
    carrier: {
      ...(o.carrier.choose ? { choose: [...o.carrier.choose] } : {}),
      exclude: [...o.carrier.exclude],
      ...(o.carrier.highValueFen !== undefined ? { highValueFen: o.carrier.highValueFen } : {}),
    },
    split: o.split,
    allocation: { ...o.allocation, excludeWarehouses: [...o.allocation.excludeWarehouses] },
    fired: [...o.fired],
  };
}

function findingView(f: DryRunFinding): z.infer<typeof finding> {
  return 'stoppedBy' in f && f.stoppedBy ? { ...f, stoppedBy: f.stoppedBy.map((s) => ({ ...s })) } : { ...f, stoppedBy: undefined };
}

function publicationView(p: RuleSetPublication): z.infer<typeof publicationOut> {
  return { version: p.version, action: p.action, comment: p.comment, publishedAt: p.publishedAt.toISOString() };
}

/** The repository's refusals as HTTP errors (404, 409). */
async function refusalsAsHttp<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof RuleSetError) throw new AppError(e.code, e.message);
    throw e;
  }
}

export const ruleRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.services;

  app.get(
    '/v1/rules',
    {
      schema: {
        tags: ['rules'],
        summary: 'The rule set in force',
        description: 'The published version (the built-in defaults, stored as version 1, until another is published), with what the static analysis finds in it.',
        response: { 200: versionOut.extend({ publishedAt: z.string().nullable() }) },
      },
    },
    async () => {
      const set = await publishedRuleSet(db);
      const publication = await currentPublication(db);
      return { ...versionView(set, set.version), published: true, publishedAt: publication ? publication.publishedAt.toISOString() : null };
    },
  );

  app.get(
    '/v1/rules/versions',
    {
      schema: {
        tags: ['rules'],
        summary: 'Every stored version of the rule set, oldest first',
        response: {
          200: z.object({
            items: z.array(
              z.object({
                version: z.number().int(),
                description: z.string().nullable(),
                createdAt: z.string(),
                createdBy: z.string().nullable(),
                published: z.boolean().describe('This version is in force now'),
                publishedAt: z.array(z.string()).describe('Each time it was put in force (published or rolled back to)'),
              }),
            ),
          }),
        },
      },
    },
    async () => {
      await ensureDefaultRuleSet(db);
      const items = await listVersions(db);
      return {
        items: items.map((v) => ({
          version: v.version,
          description: v.description,
          createdAt: v.createdAt.toISOString(),
          createdBy: v.createdBy,
          published: v.published,
          publishedAt: v.publishedAt.map((d) => d.toISOString()),
        })),
      };
    },
  );

  app.get(
    '/v1/rules/versions/:version',
    {
      schema: {
        tags: ['rules'],
        summary: 'One stored version of the rule set, published or not',
        params: versionParams,
        response: { 200: versionOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      await ensureDefaultRuleSet(db);
      const [set, current] = await Promise.all([ruleSetVersion(db, req.params.version), currentPublication(db)]);
      if (!set) throw new AppError('not_found', `rule set version ${req.params.version} does not exist`);
      return versionView(set, current?.version);
    },
  );

  app.put(
    '/v1/rules/draft',
    {
      schema: {
        tags: ['rules'],
        summary: 'Store a rule set as a new version (not published)',
        description:
          `The whole rule set: rules (each of one stage, with a condition on the order's facts and the actions of its stage) and settings. ` +
          `Unknown fields, actions of another stage, a comparison of a fact with a value of another type and repeated rule ids are refused (400, with zod's reasons). ` +
          `The answer carries the new version and what the static analysis finds. The ${AUTHOR_HEADER} header, if sent, is recorded as its author.`,
        body: ruleSetInput,
        response: { 201: z.object({ version: z.number().int(), description: z.string().nullable(), createdAt: z.string(), findings: z.array(finding) }), 400: errorBody },
      },
    },
    async (req, reply) => {
      const author = req.headers[AUTHOR_HEADER];
      const createdBy = typeof author === 'string' && author.trim() !== '' ? author.trim().slice(0, 200) : undefined;
      const saved = await saveDraft(db, req.body, createdBy);
      const findings = analyseRuleSet(saved);
      req.auditChange(null, { version: saved.version, description: saved.description ?? null, rules: saved.rules.length, createdBy: createdBy ?? null });
      req.log.info({ version: saved.version, rules: saved.rules.length, findings: findings.length }, 'rule set draft stored');
      return reply.status(201).send({ version: saved.version, description: saved.description ?? null, createdAt: saved.createdAt.toISOString(), findings });
    },
  );

  app.post(
    '/v1/rules/publish',
    {
      schema: {
        tags: ['rules'],
        summary: 'Put a stored version in force',
        description: 'Orders reviewed from now on use it; an order keeps the version it was first reviewed with. 404: no such version; 409: it is already in force.',
        body: z.strictObject({ version: storedVersion, comment: comment.optional() }),
        response: { 200: publicationOut, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req) => {
      await ensureDefaultRuleSet(db);
      const before = await currentPublication(db);
      const p = await refusalsAsHttp(() => publish(db, req.body.version, req.body.comment));
      req.auditChange(before ? { version: before.version } : null, publicationView(p));
      req.log.info({ version: p.version, comment: p.comment }, 'rule set published');
      return publicationView(p);
    },
  );

  app.post(
    '/v1/rules/rollback',
    {
      schema: {
        tags: ['rules'],
        summary: 'Put an earlier published version back in force',
        description:
          'To `toVersion`, which must have been published before, or without it to the version in force before the current one was published ' +
          '(repeated rollbacks walk back through the publications). 404: no such version; 409: never published, already in force, or nothing earlier.',
        body: z.strictObject({ toVersion: storedVersion.optional(), comment: comment.optional() }),
        response: { 200: publicationOut, 400: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req) => {
      await ensureDefaultRuleSet(db);
      const before = await currentPublication(db);
      const p = await refusalsAsHttp(() => rollback(db, req.body.toVersion, req.body.comment));
      req.auditChange(before ? { version: before.version } : null, publicationView(p));
      req.log.info({ version: p.version, comment: p.comment }, 'rule set rolled back');
      return publicationView(p);
    },
  );

  app.post(
    '/v1/rules/dry-run',
    {
      schema: {
        tags: ['rules'],
        summary: 'What a draft would change on the orders of a period',
        description:
          'Runs the stored orders the platform created in [from, to) through the published rule set and the draft, each order as of its payment ' +
          '(else its creation), with the customer, SKU categories and free stock as they are now. Answers the orders whose outcome changes, ' +
          'the verdict totals before and after, and the findings on the draft: the static ones, rules that fired on none of the orders and ' +
          'rules whose condition held but an earlier rule stopped the stage first.',
        body: dryRunBody,
        response: { 200: dryRunOut, 400: errorBody, 404: errorBody },
      },
    },
    async (req) => {
      const { from, to, limit } = req.body;
      const base = await publishedRuleSet(db);
      let draft: RuleSet;
      let draftVersion: number | null = null;
      if ('version' in req.body.draft) {
        const stored = await ruleSetVersion(db, req.body.draft.version);
        if (!stored) throw new AppError('not_found', `rule set version ${req.body.draft.version} does not exist`);
        draft = stored;
        draftVersion = stored.version;
      } else {
        // An unsaved draft runs as version 0, which no stored version has.
        draft = { ...req.body.draft, version: 0 };
      }

      const { orders: stored, truncated } = await ordersCreatedBetween(db, { from, to, limit });
      const orders: { id: string; order: CanonicalOrder }[] = [];
      for (const row of stored) {
        const parsed = canonicalOrder.safeParse(row.order);
        if (parsed.success) orders.push({ id: row.id, order: parsed.data });
      }
      const contexts = await loadReviewContexts(
        db,
        orders.map(({ order }) => ({ platform: order.platform, buyerKey: order.buyerKey, skuCodes: order.lines.map((l) => l.skuCode), lines: order.lines })),
      );
      const baseSettings = factSettingsOf(base);
      const draftSettings = sameFactSettings(base, draft) ? undefined : factSettingsOf(draft);
      const items: DryRunOrder[] = orders.map(({ id, order }, i) => {
        // As of payment: `paidMinutes` is 0 and the time-of-day facts are those of the payment, so a dry run repeats.
        const ctx = { ...contexts[i]!, now: order.paidAt ?? order.createdAt };
        const facts = orderFacts(order, { ...ctx, ...baseSettings });
        return draftSettings ? { orderId: id, facts, draftFacts: orderFacts(order, { ...ctx, ...draftSettings }) } : { orderId: id, facts };
      });
      const result = compareRuleSets(compileRuleSet(base), compileRuleSet(draft), items);
      req.log.info({ baseVersion: base.version, draftVersion, orders: result.orders, changed: result.totals.changed }, 'rule set dry run');
      return {
        period: { from, to },
        baseVersion: base.version,
        draftVersion,
        orders: result.orders,
        skipped: stored.length - orders.length,
        truncated,
        changes: result.changes.map((c) => ({ orderId: c.orderId, before: outcomeView(c.before), after: outcomeView(c.after), changed: [...c.changed] })),
        totals: result.totals,
        findings: result.findings.map(findingView),
      };
    },
  );
};
