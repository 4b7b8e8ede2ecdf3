// Once per test run: a real PostgreSQL (embedded) and a real Temporal dev server (the CLI), both on free
// ports and thrown away afterwards, plus one workflow bundle shared by every test file's workers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../config/logger.js';
import { startEmbeddedPostgres } from '../../scripts/stack/postgres.js';
import { startTemporalDevServer } from '../../scripts/stack/temporal-server.js';
import { bundleWorkflows } from '../../workers/worker.js';
import { freePort } from '../helpers/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    pgBaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = performance.now();
  const config = loadConfig(process.env, { LOG_FORMAT: 'json', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' });
  const logger = createLogger(config);
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-test-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to enter the run directory.
  fs.chmodSync(runDir, 0o755);

  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const started = await Promise.allSettled([
    process.env.TEST_DATABASE_URL
      ? Promise.resolve(undefined)
      : startEmbeddedPostgres({ dir: path.join(runDir, 'pg'), port: pgPort, logger, ephemeral: true }),
    startTemporalDevServer({ port: temporalPort, namespace: 'default', dataDir: config.dataDir, cliPath: config.TEMPORAL_CLI_PATH, logger }),
    bundleWorkflows(logger),
  ]);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    // Stop whatever did start, so a failed set-up leaves no server behind, then fail loudly.
    const [pgR, tR] = started;
    if (tR.status === 'fulfilled') await tR.value.stop();
    if (pgR.status === 'fulfilled') await pgR.value?.stop();
    throw failed.reason;
  }
  const pg = (started[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined>).value;
  const temporal = (started[1] as PromiseFulfilledResult<Awaited<ReturnType<typeof startTemporalDevServer>>>).value;
  const bundle = (started[2] as PromiseFulfilledResult<{ code: string }>).value;
  const bundlePath = path.join(runDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  const adminUrl = process.env.TEST_DATABASE_URL ?? pg!.adminUrl;
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgBaseUrl', adminUrl.replace(/\/[^/]*$/, ''));
  project.provide('temporalAddress', temporal.address);
  project.provide('workflowBundlePath', bundlePath);
  process.stdout.write(`integration stack ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s (PostgreSQL :${pgPort}, Temporal ${temporal.address})\n`);

  return async () => {
    await temporal.stop();
    await pg?.stop();
    fs.rmSync(runDir, { recursive: true, force: true });
  };
}
