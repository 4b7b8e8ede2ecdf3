import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../config/logger.js';
import { findPipBinary, pipTargetOf, type PipBinary } from '../../scripts/stack/pip-binary.js';

class FakeToolNotFound extends Error {}

// A stand-in tool: a shell script that prints its usage, as the test server does, and exits 0.
const tool: PipBinary = {
  title: 'the fake tool',
  command: 'orderly-fake-tool',
  envVar: 'FAKE_TOOL_PATH',
  pipPackage: 'orderly-fake-tool-bin',
  version: '0.0.1',
  probe: { args: [], expect: /usage: orderly-fake-tool/ },
  component: 'fake-tool',
  notFound: (message) => new FakeToolNotFound(message),
};

const logger = createLogger(loadConfig({}, { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }));

function writeTool(file: string, output = 'usage: orderly-fake-tool <port>'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\necho "${output}" >&2\n`, { mode: 0o755 });
  return file;
}

describe('finding a pip-installed tool', () => {
  let dir: string;
  let savedPath: string | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-pip-binary-'));
    savedPath = process.env.PATH;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uses the explicit path as it is, and refuses one that is not executable', () => {
    const file = writeTool(path.join(dir, 'elsewhere', 'tool'));
    expect(findPipBinary(tool, { explicitPath: file, dataDir: dir, logger, allowPipInstall: false })).toBe(file);
    const missing = path.join(dir, 'nope');
    expect(() => findPipBinary(tool, { explicitPath: missing, dataDir: dir, logger })).toThrow(FakeToolNotFound);
    expect(() => findPipBinary(tool, { explicitPath: missing, dataDir: dir, logger })).toThrow(`FAKE_TOOL_PATH=${missing} is not an executable file`);
  });

  it('takes a working copy on PATH before one under the data directory', () => {
    const onPath = writeTool(path.join(dir, 'path-bin', tool.command));
    writeTool(path.join(dir, 'data', 'bin', tool.command));
    process.env.PATH = `${path.join(dir, 'path-bin')}${path.delimiter}${savedPath ?? ''}`;
    expect(findPipBinary(tool, { dataDir: path.join(dir, 'data'), logger, allowPipInstall: false })).toBe(onPath);
  });

  it('skips a copy that does not answer like the tool, and finds an earlier pip install under the data directory', () => {
    writeTool(path.join(dir, 'path-bin', tool.command), 'something else entirely');
    process.env.PATH = `${path.join(dir, 'path-bin')}${path.delimiter}${savedPath ?? ''}`;
    const dataDir = path.join(dir, 'data');
    const installed = writeTool(path.join(pipTargetOf(tool, dataDir), 'bin', tool.command));
    expect(pipTargetOf(tool, dataDir)).toBe(path.join(dataDir, 'orderly-fake-tool-bin'));
    expect(findPipBinary(tool, { dataDir, logger, allowPipInstall: false })).toBe(installed);
  });

  it('gives up without pip when nothing works', () => {
    expect(findPipBinary(tool, { dataDir: path.join(dir, 'empty'), logger, allowPipInstall: false })).toBeUndefined();
  });
});
