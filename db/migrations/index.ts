import type { Migration, MigrationProvider } from 'kysely';
import * as m2026_11_25_1900_initial from './2026_11_25_1900_initial.js';
import * as m2026_11_25_2000_channels from './2026_11_25_2000_channels.js';
import * as m2026_11_25_2010_fulfilment from './2026_11_25_2010_fulfilment.js';
import * as m2026_11_25_2100_settings from './2026_11_25_2100_settings.js';
import * as m2026_11_25_2110_package_queue_idx from './2026_11_25_2110_package_queue_idx.js';
import * as m2026_11_25_2200_inbox_claims from './2026_11_25_2200_inbox_claims.js';

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
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
