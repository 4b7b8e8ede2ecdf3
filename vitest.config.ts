import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          pool: 'forks',
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          pool: 'forks',
          globalSetup: ['tests/integration/global-setup.ts'],
          // Runs after the unit tests, with its own worker limit.
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: a few files at a time share one Temporal server and one PostgreSQL.
          maxWorkers: 2,
          fileParallelism: true,
        },
      },
    ],
  },
});
