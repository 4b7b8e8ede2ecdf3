// Tables of the versioned rule model and of settings history (2026_12_01_0700_rule_sets). Each table's
// interface is added to RuleTables, which Database extends.
import type { ColumnType, Generated, Selectable } from 'kysely';
import type { CreatedAt, Json } from './columns.js';

// The migration adds the SKU's category to a table the initial schema owns; it is declared here, beside the
// tables of the same migration, by augmenting that table's interface.
declare module './schema.js' {
  interface SkusTable {
    /** Category for the review rules' `categories` fact; null: none. */
    category: ColumnType<string | null, string | null | undefined, string | null>;
  }
}

/** One stored version of the rule set; never updated nor deleted (a trigger refuses both). */
export interface RuleSetVersionsTable {
  version: number;
  /** The validated `RuleSetInput`. */
  document: Json;
  description: string | null;
  created_at: CreatedAt;
  created_by: string | null;
}

export type RuleSetPublicationAction = 'publish' | 'rollback';

/** Append-only: the version in force is the one of the row with the highest id. */
export interface RuleSetPublicationsTable {
  id: Generated<number>;
  version: number;
  action: RuleSetPublicationAction;
  comment: string | null;
  published_at: CreatedAt;
}

/** Every value a setting (`settings`) ever had, by (key, version); append-only. */
export interface SettingsVersionsTable {
  key: string;
  version: number;
  value: Json;
  created_at: CreatedAt;
}

export interface RuleTables {
  rule_set_versions: RuleSetVersionsTable;
  rule_set_publications: RuleSetPublicationsTable;
  settings_versions: SettingsVersionsTable;
}

export type RuleSetVersionRow = Selectable<RuleSetVersionsTable>;
export type RuleSetPublicationRow = Selectable<RuleSetPublicationsTable>;
