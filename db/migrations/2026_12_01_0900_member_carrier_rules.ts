import { type Kysely } from 'kysely';

// Frozen once merged: later changes go in a new dated migration.

export async function up(db: Kysely<any>): Promise<void> {
  // What each member order's rules say about the carrier (choose, exclude, premium threshold, the rule set
  // version): the package's carrier is chosen at release within what every member allows.
  await db.schema.alterTable('package_members').addColumn('carrier_rules', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('package_members').dropColumn('carrier_rules').execute();
}
