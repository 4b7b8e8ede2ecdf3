import type { Migration, MigrationProvider } from 'kysely';
import * as m2026_11_25_1900_initial from './2026_11_25_1900_initial.js';
import * as m2026_11_25_2000_channels from './2026_11_25_2000_channels.js';
import * as m2026_11_25_2010_fulfilment from './2026_11_25_2010_fulfilment.js';
import * as m2026_11_25_2100_settings from './2026_11_25_2100_settings.js';
import * as m2026_11_25_2110_package_queue_idx from './2026_11_25_2110_package_queue_idx.js';
import * as m2026_11_25_2200_inbox_claims from './2026_11_25_2200_inbox_claims.js';
import * as m2026_11_26_0900_warehouse_load_day from './2026_11_26_0900_warehouse_load_day.js';
import * as m2026_11_26_1000_carrier_platform_codes from './2026_11_26_1000_carrier_platform_codes.js';
import * as m2026_11_26_1100_package_intercepted from './2026_11_26_1100_package_intercepted.js';
import * as m2026_11_26_1200_buyer_data_audit from './2026_11_26_1200_buyer_data_audit.js';
import * as m2026_12_01_0400_orders_buyer_idx from './2026_12_01_0400_orders_buyer_idx.js';
import * as m2026_12_01_0430_stock_waits from './2026_12_01_0430_stock_waits.js';
import * as m2026_12_01_0500_transfer_progress from './2026_12_01_0500_transfer_progress.js';
import * as m2026_12_01_0600_customers from './2026_12_01_0600_customers.js';
import * as m2026_12_01_0700_rule_sets from './2026_12_01_0700_rule_sets.js';
import * as m2026_12_01_0710_reviews from './2026_12_01_0710_reviews.js';
import * as m2026_12_01_0800_exception_center from './2026_12_01_0800_exception_center.js';
import * as m2026_12_01_0900_member_carrier_rules from './2026_12_01_0900_member_carrier_rules.js';
import * as m2026_12_02_1000_api_keys_audit from './2026_12_02_1000_api_keys_audit.js';
import * as m2026_12_02_1200_metrics_indexes from './2026_12_02_1200_metrics_indexes.js';
import * as m2026_12_03_0900_buyer_data_at_rest from './2026_12_03_0900_buyer_data_at_rest.js';
import * as m2026_12_03_1000_report_indexes from './2026_12_03_1000_report_indexes.js';

/**
 * Every migration, by its dated name. Listed statically (not read from the folder) so the same set runs
 * under tsx, vitest and a bundler alike. Append new ones; never edit a merged one.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_25_1900_initial': m2026_11_25_1900_initial,
  '2026_11_25_2000_channels': m2026_11_25_2000_channels,
  '2026_11_25_2010_fulfilment': m2026_11_25_2010_fulfilment,
  '2026_11_25_2100_settings': m2026_11_25_2100_settings,
  '2026_11_25_2110_package_queue_idx': m2026_11_25_2110_package_queue_idx,
  '2026_11_25_2200_inbox_claims': m2026_11_25_2200_inbox_claims,
  '2026_11_26_0900_warehouse_load_day': m2026_11_26_0900_warehouse_load_day,
  '2026_11_26_1000_carrier_platform_codes': m2026_11_26_1000_carrier_platform_codes,
  '2026_11_26_1100_package_intercepted': m2026_11_26_1100_package_intercepted,
  '2026_11_26_1200_buyer_data_audit': m2026_11_26_1200_buyer_data_audit,
  '2026_12_01_0400_orders_buyer_idx': m2026_12_01_0400_orders_buyer_idx,
  '2026_12_01_0430_stock_waits': m2026_12_01_0430_stock_waits,
  '2026_12_01_0500_transfer_progress': m2026_12_01_0500_transfer_progress,
  '2026_12_01_0600_customers': m2026_12_01_0600_customers,
  '2026_12_01_0700_rule_sets': m2026_12_01_0700_rule_sets,
  '2026_12_01_0710_reviews': m2026_12_01_0710_reviews,
  '2026_12_01_0800_exception_center': m2026_12_01_0800_exception_center,
  '2026_12_01_0900_member_carrier_rules': m2026_12_01_0900_member_carrier_rules,
  '2026_12_02_1000_api_keys_audit': m2026_12_02_1000_api_keys_audit,
  '2026_12_02_1200_metrics_indexes': m2026_12_02_1200_metrics_indexes,
  '2026_12_03_0900_buyer_data_at_rest': m2026_12_03_0900_buyer_data_at_rest,
  '2026_12_03_1000_report_indexes': m2026_12_03_1000_report_indexes,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
