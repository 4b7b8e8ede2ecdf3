import { sql, type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

/**
 * Each platform names logistics companies its own way: Taobao by a company code, JD and PDD by a numeric
 * id, Douyin by a lower-case code. The seed covers the common carriers as far as public material tells;
 * `verified = false` marks the values that could not be confirmed (the "(?)" of the reference notes) and
 * that an admin should check against the platform's logistics company list before relying on them.
 */
export const SEED: readonly (readonly [platform: string, carrier: string, code: string, verified: boolean])[] = [
  ['taobao', 'SF', 'SF', true],
  ['taobao', 'ZTO', 'ZTO', true],
  ['taobao', 'YTO', 'YTO', true],
  ['taobao', 'STO', 'STO', true],
  ['taobao', 'YUNDA', 'YUNDA', true],
  ['taobao', 'EMS', 'EMS', true],
  ['taobao', 'JD', 'JD', false],
  ['taobao', 'DBL', 'DBKD', false],
  ['taobao', 'JT', 'JTSD', false],
  ['jd', 'SF', '467', false],
  ['jd', 'ZTO', '1499', false],
  ['jd', 'YTO', '463', false],
  ['jd', 'STO', '470', false],
  ['jd', 'YUNDA', '1327', false],
  ['jd', 'EMS', '465', false],
  ['jd', 'JD', '2087', false],
  ['jd', 'DBL', '3046', false],
  ['douyin', 'SF', 'shunfeng', false],
  ['douyin', 'ZTO', 'zhongtong', false],
  ['douyin', 'YTO', 'yuantong', false],
  ['douyin', 'STO', 'shentong', false],
  ['douyin', 'YUNDA', 'yunda', false],
  ['douyin', 'EMS', 'ems', false],
  ['douyin', 'JD', 'jd', false],
  ['douyin', 'DBL', 'debangkuaidi', false],
  ['douyin', 'JT', 'jtexpress', false],
  ['pdd', 'SF', '44', false],
  ['pdd', 'ZTO', '115', false],
  ['pdd', 'YTO', '85', false],
  ['pdd', 'STO', '1', false],
  ['pdd', 'YUNDA', '121', false],
  ['pdd', 'EMS', '118', false],
  ['pdd', 'JD', '120', false],
  ['pdd', 'DBL', '131', false],
  ['pdd', 'JT', '384', false],
];

export async function up(db: Kysely<any>): Promise<void> {
  // Keyed by Orderly's carrier code without a foreign key: the seed names carriers a fresh install has not
  // created yet, and a mapping waits harmlessly until its carrier exists.
  await db.schema
    .createTable('carrier_platform_codes')
    .addColumn('platform', 'text', (c) => c.notNull().check(sql`platform in ('taobao', 'jd', 'douyin', 'pdd')`))
    .addColumn('carrier_code', 'text', (c) => c.notNull())
    .addColumn('platform_code', 'text', (c) => c.notNull().check(sql`length(platform_code) between 1 and 64`))
    .addColumn('verified', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('carrier_platform_codes_pk', ['platform', 'carrier_code'])
    .execute();
  await db
    .insertInto('carrier_platform_codes')
    .values(SEED.map(([platform, carrier, code, verified]) => ({ platform, carrier_code: carrier, platform_code: code, verified })))
    .execute();

  // A write-back row remembers its package, the platform's carrier code it was sent with (a later package
  // of the same order may have to repeat it) and which kind of call carried it.
  await db.schema
    .alterTable('channel_writebacks')
    .addColumn('package_id', 'text')
    .addColumn('platform_carrier_code', 'text')
    .addColumn('call', 'text', (c) => c.check(sql`call in ('whole', 'split', 'additional')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('channel_writebacks').dropColumn('package_id').dropColumn('platform_carrier_code').dropColumn('call').execute();
  await db.schema.dropTable('carrier_platform_codes').ifExists().execute();
}
