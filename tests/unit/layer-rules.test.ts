// The layer rules of `.dependency-cruiser.cjs` (run by `npm run layers` in `npm test`) must catch what they
// name: a small project with one breach of each rule, cruised with Orderly's own rule set.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const config = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as IConfiguration;

/** Files of the breaching project: path -> source (imports without extensions, resolved to .ts). */
const FILES: Record<string, string> = {
  'domain/order.ts': "import { save } from '../db/store';\nexport const order = save;\n",
  'domain/cycle-a.ts': "import { b } from './cycle-b';\nexport const a = () => b;\n",
  'domain/cycle-b.ts': "import { a } from './cycle-a';\nexport const b = () => a;\n",
  'channels/mapping.ts': "import { signal } from '../workflows/order.messages';\nexport const mapping = signal;\n",
  'workflows/order.messages.ts': 'export const signal = 1;\n',
  'workflows/order.workflow.ts': [
    "import { save } from '../db/store';",
    "import type { Activities } from '../activities/contract';",
    "import { activities } from '../activities/impl';",
    'export const run = (a: Activities) => [save, a, activities];',
  ].join('\n'),
  'activities/contract.ts': 'export interface Activities { x: number }\n',
  'activities/impl.ts': "import { route } from '../api/route';\nexport const activities = route;\n",
  'ingest/relay.ts': "import { route } from '../api/route';\nexport const relay = route;\n",
  'db/store.ts': "import { key } from '../channels/credentials';\nexport const save = key;\n",
  'channels/credentials.ts': 'export const key = 1;\n',
  'api/route.ts': "import { run } from '../workflows/order.workflow';\nexport const route = run;\n",
  'api/jobs.ts': "import { activities } from '../activities/impl';\nexport const jobs = activities;\n",
  'config/config.ts': "import { helper } from '../tests/helper';\nexport const config = helper;\n",
  'tests/helper.ts': 'export const helper = 1;\n',
};

let dir: string;
let result: ICruiseResult;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderly-layers-'));
  for (const [file, source] of Object.entries(FILES)) {
    fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), source);
  }
  const out = await cruise(
    ['domain', 'channels', 'workflows', 'activities', 'ingest', 'db', 'api', 'config', 'tests'],
    { baseDir: dir, validate: true, ruleSet: { forbidden: config.forbidden ?? [] }, tsPreCompilationDeps: true },
    { extensions: ['.ts'] },
  );
  result = out.output as ICruiseResult;
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const breaches = () => result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

describe('layer rules', () => {
  it('name every breach with its rule', () => {
    expect(breaches()).toEqual(
      expect.arrayContaining([
        'domain-is-pure: domain/order.ts -> db/store.ts',
        'channels-below-workflows-and-storage: channels/mapping.ts -> workflows/order.messages.ts',
        'workflows-deterministic: workflows/order.workflow.ts -> db/store.ts',
        'workflows-activity-types-only: workflows/order.workflow.ts -> activities/impl.ts',
        'ingest-not-api: ingest/relay.ts -> api/route.ts',
        'activities-not-api: activities/impl.ts -> api/route.ts',
        'db-below-everything: db/store.ts -> channels/credentials.ts',
        'api-not-worker: api/jobs.ts -> activities/impl.ts',
        'workflow-definitions-only: api/route.ts -> workflows/order.workflow.ts',
        'no-test-code-in-production: config/config.ts -> tests/helper.ts',
      ]),
    );
    expect(breaches().some((b) => b.startsWith('no-circular: domain/cycle-'))).toBe(true);
  });

  it('let through what the layers allow', () => {
    const allowed = ['workflows/order.workflow.ts -> activities/contract.ts', 'api/route.ts -> workflows/order.messages.ts'];
    for (const edge of allowed) expect(breaches().filter((b) => b.endsWith(edge))).toEqual([]);
    // Every rule of the configuration is exercised above.
    const named = new Set(result.summary.violations.map((v) => v.rule.name));
    expect([...named].sort()).toEqual((config.forbidden ?? []).map((r) => r.name).sort());
  });
});
