// Workflow tests on the time-skipping test server: Orderly's real workflow code (the run's shared bundle)
// with activities replaced by plain async functions, each test on a task queue of its own.
import { randomUUID } from 'node:crypto';
import type { DataConverter } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { expect, inject } from 'vitest';
import type { Activities } from '../../activities/index.js';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../config/logger.js';
import { payloadDataConverter } from '../../config/payload-codec.js';
import { ORDERLY_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';

/** Stand-ins for the activities a test's workflows call; one left out fails when called (and is retried). */
export type MockActivities = Partial<Activities>;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

let runtimeInstalled = false;

/**
 * The payload codec, as in production: the test client and the workers encrypt and decrypt alike (the
 * development key under DATA_DIR unless PAYLOAD_KEYS is set), so a workflow test runs the codec's path too.
 */
let converter: DataConverter | undefined;
function dataConverter(): DataConverter {
  converter ??= payloadDataConverter(loadConfig(process.env));
  return converter;
}

/**
 * Before the SDK's runtime exists: its logs (workflow `log` included) go through pino at the test level, as
 * in the integration tests. The core's own logs are kept to errors: the test server lacks capabilities of
 * newer servers that no test here needs, and the core warns about that for every worker.
 */
function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const config = loadConfig(process.env, { LOG_FORMAT: 'json', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn' });
  const log = createLogger(config).child({ component: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => log[levels[entry.level]](entry.meta ?? {}, entry.message)),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

/**
 * Starts a time-skipping test server of the caller's own (time skipping is global to a server) with
 * Orderly's search attributes registered, as the dev server and a real cluster have them.
 */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  installRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: inject('timeSkippingServer') }, client: { dataConverter: dataConverter() } });
  try {
    // The test server keeps no attributes beyond the built-in ones and has no ListSearchAttributes: a
    // fresh server gets every attribute the workflows set or upsert.
    const searchAttributes = Object.fromEntries(ORDERLY_SEARCH_ATTRIBUTES.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)!]));
    await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
  } catch (e) {
    await env.teardown();
    throw e;
  }
  return env;
}

/**
 * Runs `fn` while a worker with the mocked activities serves a new task queue on `env`; the worker is shut
 * down when `fn` settles (a failure in either fails the test).
 */
export async function withWorker<T>(env: TestWorkflowEnvironment, activities: MockActivities, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: { codePath: inject('workflowTestBundlePath') },
    dataConverter: dataConverter(),
    activities,
  });
  return worker.runUntil(() => fn(taskQueue));
}

/**
 * Polls `read` (a workflow query, usually) until `done` holds for its value, for up to `timeoutMs` of wall
 * time; time is not skipped meanwhile. Fails with the last value seen.
 */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (done(last)) return last;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect.fail(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}
