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
          name: 'workflow',
          include: ['tests/workflow/**/*.test.ts'],
          pool: 'forks',
          // Finds (or installs) the time-skipping test server once and bundles the workflows once.
          globalSetup: ['tests/workflow/global-setup.ts'],
          // Beside the unit tests: each test starts a test server of its own, and timers are skipped.
          sequence: { groupOrder: 0 },
          testTimeout: 30_000,
          hookTimeout: 60_000,
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
