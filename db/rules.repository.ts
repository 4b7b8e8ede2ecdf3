import { sql, type Transaction } from 'kysely';
import { DEFAULT_RULE_SET } from '../domain/rules/defaults.js';
import { ruleSetInput, type RuleSet, type RuleSetInput } from '../domain/rules/schema.js';
import type { Db } from './database.js';
import type { RuleSetPublicationAction, RuleSetVersionRow } from './rules.schema.js';
import type { Database } from './schema.js';

// The versioned rule model: immutable versions (`rule_set_versions`) and an append-only publication log
// (`rule_set_publications`) whose latest row names the version in force. Nothing here updates or deletes a row.

type DbOrTx = Db | Transaction<Database>;

export type RuleSetErrorCode = 'not_found' | 'conflict';

/** A refused publish or rollback; `code` says which HTTP status it deserves (404, 409). */
export class RuleSetError extends Error {
  override name = 'RuleSetError';
  constructor(
    readonly code: RuleSetErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A stored version with who wrote it and when. */
export interface StoredRuleSet extends RuleSet {
  readonly createdAt: Date;
  readonly createdBy: string | null;
}

/** One row of the publication log. */
export interface RuleSetPublication {
  readonly id: number;
  readonly version: number;
  readonly action: RuleSetPublicationAction;
  readonly comment: string | null;
  readonly publishedAt: Date;
}

/** A version in the list: whether it is the one in force and when it was published (each time). */
export interface RuleSetVersionSummary {
  readonly version: number;
  readonly description: string | null;
  readonly createdAt: Date;
  readonly createdBy: string | null;
  /** The version in force now. */
  readonly published: boolean;
  /** Every publication of this version (publish or rollback), oldest first; empty for a draft never published. */
  readonly publishedAt: readonly Date[];
}

/** Who wrote the default rule set. */
const SYSTEM = 'orderly';

/** Serialises publish and rollback: each reads the log before it appends to it. */
const PUBLICATION_LOCK = sql`select pg_advisory_xact_lock(hashtext('orderly:rule_set_publications'))`;

function fromRow(r: RuleSetVersionRow): StoredRuleSet {
  // Stored documents were validated when written; parsing again applies defaults added to the schema since.
  const parsed = ruleSetInput.safeParse(r.document);
  if (!parsed.success) throw new Error(`stored rule set version ${r.version} no longer parses: ${parsed.error.message}`);
  return { ...parsed.data, version: r.version, createdAt: r.created_at, createdBy: r.created_by };
}

function publicationOf(r: { id: number; version: number; action: RuleSetPublicationAction; comment: string | null; published_at: Date }): RuleSetPublication {
  return { id: r.id, version: r.version, action: r.action, comment: r.comment, publishedAt: r.published_at };
}

/**
 * When no version is stored, stores `DEFAULT_RULE_SET` as version 1 and publishes it, in one statement: of
 * several callers racing on an empty table one inserts (and publishes), the others change nothing.
 */
export async function ensureDefaultRuleSet(db: DbOrTx): Promise<void> {
  const any = await db.selectFrom('rule_set_versions').select('version').limit(1).executeTakeFirst();
  if (any) return;
  const doc = ruleSetInput.parse(DEFAULT_RULE_SET);
  await db
    .with('inserted', (qc) =>
      qc
        .insertInto('rule_set_versions')
        .values({ version: 1, document: JSON.stringify(doc), description: doc.description ?? null, created_by: SYSTEM })
        .onConflict((oc) => oc.column('version').doNothing())
        .returning('version'),
    )
    .insertInto('rule_set_publications')
    .columns(['version', 'action', 'comment'])
    .expression((eb) =>
      eb
        .selectFrom('inserted')
        .select(['inserted.version', sql<RuleSetPublicationAction>`'publish'`.as('action'), sql<string>`'the default rule set'`.as('comment')]),
    )
    .execute();
}

/** The latest publication, or undefined when nothing was ever published. */
export async function currentPublication(db: DbOrTx): Promise<RuleSetPublication | undefined> {
  const row = await db.selectFrom('rule_set_publications').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row && publicationOf(row);
}

/** The rule set in force: the version of the latest publication (the default, stored on first use). */
export async function publishedRuleSet(db: DbOrTx): Promise<StoredRuleSet> {
  const read = () =>
    db
      .selectFrom('rule_set_publications as p')
      .innerJoin('rule_set_versions as v', 'v.version', 'p.version')
      .selectAll('v')
      .orderBy('p.id', 'desc')
      .limit(1)
      .executeTakeFirst();
  let row = await read();
  if (!row) {
    await ensureDefaultRuleSet(db);
    row = await read();
  }
  if (!row) throw new Error('no rule set version is published');
  return fromRow(row);
}

/** Any version ever stored, published or not; undefined when there is no such version. */
export async function ruleSetVersion(db: DbOrTx, version: number): Promise<StoredRuleSet | undefined> {
  const row = await db.selectFrom('rule_set_versions').selectAll().where('version', '=', version).executeTakeFirst();
  return row && fromRow(row);
}

/**
 * Stores a rule set as a new version (the highest so far plus one), not published. Two drafts saved at once
 * get different versions: the one that loses the race for a number takes the next.
 */
export async function saveDraft(db: Db, input: RuleSetInput, createdBy?: string): Promise<StoredRuleSet> {
  // Version 1 is always the default set, so the first draft is version 2.
  await ensureDefaultRuleSet(db);
  const doc = ruleSetInput.parse(input);
  const json = JSON.stringify(doc);
  for (let attempt = 0; attempt < 20; attempt++) {
    const row = await db
      .insertInto('rule_set_versions')
      .columns(['version', 'document', 'description', 'created_by'])
      .expression((eb) =>
        eb
          .selectFrom('rule_set_versions')
          .select([
            sql<number>`coalesce(max(version), 0) + 1`.as('version'),
            sql<string>`${json}::jsonb`.as('document'),
            sql<string | null>`${doc.description ?? null}::text`.as('description'),
            sql<string | null>`${createdBy ?? null}::text`.as('created_by'),
          ]),
      )
      .onConflict((oc) => oc.column('version').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return fromRow(row);
  }
  throw new Error('could not allocate a rule set version: too many concurrent drafts');
}

/**
 * The versions a rollback without a target walks back through: each publish puts its version on top, a
 * rollback to a version on the stack takes off what was published after it (a rollback to one that is not,
 * i.e. given explicitly, puts it on top). The top is the version in force.
 */
function publishedStack(log: readonly { version: number; action: RuleSetPublicationAction }[]): number[] {
  const stack: number[] = [];
  for (const p of log) {
    if (p.action === 'rollback' && stack.includes(p.version)) {
      while (stack[stack.length - 1] !== p.version) stack.pop();
    } else if (stack[stack.length - 1] !== p.version) {
      stack.push(p.version);
    }
  }
  return stack;
}

async function appendPublication(tx: Transaction<Database>, version: number, action: RuleSetPublicationAction, comment: string | undefined): Promise<RuleSetPublication> {
  const row = await tx.insertInto('rule_set_publications').values({ version, action, comment: comment ?? null }).returningAll().executeTakeFirstOrThrow();
  return publicationOf(row);
}

/**
 * Puts a stored version in force. Refused: an unknown version (`not_found`), the version already in force
 * (`conflict`).
 */
export async function publish(db: Db, version: number, comment?: string): Promise<RuleSetPublication> {
  return db.transaction().execute(async (tx) => {
    await PUBLICATION_LOCK.execute(tx);
    const exists = await tx.selectFrom('rule_set_versions').select('version').where('version', '=', version).executeTakeFirst();
    if (!exists) throw new RuleSetError('not_found', `rule set version ${version} does not exist`);
    const current = await currentPublication(tx);
    if (current?.version === version) throw new RuleSetError('conflict', `rule set version ${version} is already in force`);
    return appendPublication(tx, version, 'publish', comment);
  });
}

/**
 * Puts an earlier published version back in force: `toVersion`, or without it the version that was in force
 * before the current one was published. A version never published cannot be rolled back to (`conflict`), nor
 * the version in force; an unknown version is `not_found`.
 */
export async function rollback(db: Db, toVersion?: number, comment?: string): Promise<RuleSetPublication> {
  return db.transaction().execute(async (tx) => {
    await PUBLICATION_LOCK.execute(tx);
    const log = await tx.selectFrom('rule_set_publications').select(['version', 'action']).orderBy('id').execute();
    const current = log[log.length - 1]?.version;
    let target: number;
    if (toVersion === undefined) {
      const stack = publishedStack(log);
      const previous = stack[stack.length - 2];
      if (previous === undefined) throw new RuleSetError('conflict', 'there is no earlier published rule set version to roll back to');
      target = previous;
    } else {
      const exists = await tx.selectFrom('rule_set_versions').select('version').where('version', '=', toVersion).executeTakeFirst();
      if (!exists) throw new RuleSetError('not_found', `rule set version ${toVersion} does not exist`);
      if (!log.some((p) => p.version === toVersion)) throw new RuleSetError('conflict', `rule set version ${toVersion} was never published: publish it instead`);
      if (toVersion === current) throw new RuleSetError('conflict', `rule set version ${toVersion} is already in force`);
      target = toVersion;
    }
    return appendPublication(tx, target, 'rollback', comment);
  });
}

/** Every stored version, oldest first, with whether it is in force and when it was published. */
export async function listVersions(db: DbOrTx): Promise<RuleSetVersionSummary[]> {
  const [versions, log] = await Promise.all([
    db.selectFrom('rule_set_versions').select(['version', 'description', 'created_at', 'created_by']).orderBy('version').execute(),
    db.selectFrom('rule_set_publications').select(['version', 'published_at']).orderBy('id').execute(),
  ]);
  const current = log[log.length - 1]?.version;
  const times = new Map<number, Date[]>();
  for (const p of log) times.set(p.version, [...(times.get(p.version) ?? []), p.published_at]);
  return versions.map((v) => ({
    version: v.version,
    description: v.description,
    createdAt: v.created_at,
    createdBy: v.created_by,
    published: v.version === current,
    publishedAt: times.get(v.version) ?? [],
  }));
}
