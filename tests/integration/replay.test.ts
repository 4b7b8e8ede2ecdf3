import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { loadConfig } from '../../config/config.js';
import { payloadDataConverter } from '../../config/payload-codec.js';

// Recorded histories of finished orders, packages and pull runs (RECORD_HISTORIES re-records them, see
// `maybeRecordHistory`). A change to workflow code that would break running workflows on replay fails here,
// before it reaches production.
const dir = path.join(import.meta.dirname, '..', 'histories');

describe('workflow replay of recorded histories', () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it('replays every recorded history without a determinism error', async () => {
    const histories = files.map((f) => ({
      workflowId: f,
      history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))),
    }));
    const bundle = { code: fs.readFileSync(inject('workflowBundlePath'), 'utf8') };
    const results = [];
    // With the payload codec, as the workers run: histories recorded before encryption pass through it.
    const dataConverter = payloadDataConverter(loadConfig(process.env));
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter }, histories)) results.push(r);
    expect(results).toHaveLength(files.length);
    for (const r of results) expect(r.error, `${r.workflowId}: ${String(r.error)}`).toBeUndefined();

    // Every workflow type the worker runs has histories here, so none of them changes shape unnoticed.
    const types = new Map<string, string[]>();
    for (const h of histories) {
      const type = h.history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '(no start event)';
      types.set(type, [...(types.get(type) ?? []), h.workflowId]);
    }
    console.info(`replayed: ${[...types].map(([type, names]) => `${type} ×${names.length}`).join(', ')}`);
    expect([...types.keys()]).toEqual(expect.arrayContaining(['orderWorkflow', 'packageWorkflow', 'pullSyncWorkflow', 'transferWorkflow', 'exceptionWatchWorkflow']));
  });
});

describe('the workflow bundle', () => {
  // Every module a workflow imports is initialised again for each workflow run: schema libraries and I/O
  // code there cost CPU on every new order (zod alone was a third of the bundle).
  it('carries no zod, database or HTTP code', () => {
    const code = fs.readFileSync(inject('workflowBundlePath'), 'utf8');
    const modules = [...code.matchAll(/^\/\*\*\*\/ "([^"]+)"/gm)].map((m) => m[1]!);
    expect(modules.length).toBeGreaterThan(10);
    expect(modules.filter((m) => /node_modules\/(zod|kysely|pg|fastify|undici)\//.test(m))).toEqual([]);
  });
});
