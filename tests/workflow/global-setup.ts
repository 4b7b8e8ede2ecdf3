// Once per test run: find (or install) the time-skipping test server and check that it starts, and bundle
// the workflows once for every test file's workers. Each test then starts its own test server
// (time skipping is global to a server, so tests must not share one).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment, type EphemeralServerExecutable } from '@temporalio/testing';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../config/logger.js';
import { TEST_SERVER_HELP, timeSkippingExecutable } from '../../scripts/stack/temporal-test-server.js';
import { bundleWorkflows } from '../../workers/worker.js';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server to run, as TestWorkflowEnvironment.createTimeSkipping takes it. */
    timeSkippingServer: EphemeralServerExecutable;
    /** The workflow bundle (workflows/index.ts) every worker of the workflow tests runs. */
    workflowTestBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const startedAt = performance.now();
  const config = loadConfig(process.env, { LOG_FORMAT: 'json', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' });
  const logger = createLogger(config);

  // Synchronous (a pip install blocks): done before the bundling starts.
  const executable = timeSkippingExecutable({ explicitPath: config.TEMPORAL_TEST_SERVER_PATH, dataDir: config.dataDir, logger });
  const [server, bundle] = await Promise.allSettled([
    // Started once here so a missing or broken server fails the run at once, with help, and the SDK
    // download (the last resort) happens once rather than in every file.
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }),
    bundleWorkflows(logger),
  ]);
  if (server.status === 'rejected') {
    const reason = server.reason instanceof Error ? server.reason.message : String(server.reason);
    throw new Error(`${TEST_SERVER_HELP}\n(${JSON.stringify(executable)} did not start: ${reason})`, { cause: server.reason });
  }
  await server.value.teardown();
  if (bundle.status === 'rejected') throw bundle.reason;

  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-workflow-test-'));
  const bundlePath = path.join(runDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.value.code);
  project.provide('timeSkippingServer', executable);
  project.provide('workflowTestBundlePath', bundlePath);
  const where = executable.type === 'existing-path' ? executable.path : 'the SDK download';
  process.stdout.write(`workflow tests: test server ${where}, workflows bundled in ${((performance.now() - startedAt) / 1000).toFixed(1)} s\n`);

  return () => fs.rmSync(runDir, { recursive: true, force: true });
}
