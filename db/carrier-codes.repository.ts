import { sql } from 'kysely';
import type { CarrierCodePlatform, CarrierPlatformCodeRow } from './channels.schema.js';
import type { Db } from './database.js';

/** The platform's logistics company code or id for one of Orderly's carriers, if it is mapped. */
export async function findCarrierPlatformCode(db: Db, platform: CarrierCodePlatform, carrierCode: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('carrier_platform_codes')
    .select('platform_code')
    .where('platform', '=', platform)
    .where('carrier_code', '=', carrierCode)
    .executeTakeFirst();
  return row?.platform_code;
}

/** One carrier's codes on every platform that has one, by platform. */
export async function listCarrierPlatformCodes(db: Db, carrierCode: string): Promise<CarrierPlatformCodeRow[]> {
  return db.selectFrom('carrier_platform_codes').selectAll().where('carrier_code', '=', carrierCode).orderBy('platform').execute();
}

/**
 * Replaces one carrier's platform codes with `codes` (platforms left out are unmapped afterwards), in one
 * transaction. What an admin sets counts as verified.
 */
export async function replaceCarrierPlatformCodes(db: Db, carrierCode: string, codes: Partial<Record<CarrierCodePlatform, string>>): Promise<CarrierPlatformCodeRow[]> {
  return db.transaction().execute(async (tx) => {
    await tx.deleteFrom('carrier_platform_codes').where('carrier_code', '=', carrierCode).execute();
    const rows = Object.entries(codes).flatMap(([platform, code]) =>
      code === undefined ? [] : [{ platform: platform as CarrierCodePlatform, carrier_code: carrierCode, platform_code: code, verified: true, updated_at: sql<Date>`now()` }],
    );
    if (rows.length) await tx.insertInto('carrier_platform_codes').values(rows).execute();
    return tx.selectFrom('carrier_platform_codes').selectAll().where('carrier_code', '=', carrierCode).orderBy('platform').execute();
  });
}
