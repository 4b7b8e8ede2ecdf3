// The worker's metrics endpoint (WORKER_METRICS_ADDRESS): the Temporal SDK's Prometheus exporter, installed by
// installTemporalRuntime in this test's own process, and Orderly's counter of refused reservations, counted by
// the worker's activity interceptor around the real activity contract (run in the SDK's activity environment).
import { MockActivityEnvironment } from '@temporalio/testing';
import { Runtime } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/config.js';
import { createLogger } from '../../config/logger.js';
import type { ReserveResult } from '../../db/reservations.repository.js';
import { RESERVATION_CONFLICTS, workerMetricsInterceptor } from '../../workers/metrics.js';
import { installTemporalRuntime } from '../../workers/runtime.js';
import { freePort } from '../helpers/ports.js';

describe('WORKER_METRICS_ADDRESS', () => {
  it('defaults to a local port, takes host:port or off, and refuses anything else', () => {
    expect(loadConfig({}).WORKER_METRICS_ADDRESS).toBe('127.0.0.1:9464');
    expect(loadConfig({ WORKER_METRICS_ADDRESS: 'off' }).WORKER_METRICS_ADDRESS).toBe('off');
    expect(loadConfig({ WORKER_METRICS_ADDRESS: '0.0.0.0:9100' }).WORKER_METRICS_ADDRESS).toBe('0.0.0.0:9100');
    expect(loadConfig({ WORKER_METRICS_ADDRESS: '[::1]:9100' }).WORKER_METRICS_ADDRESS).toBe('[::1]:9100');
    expect(() => loadConfig({ WORKER_METRICS_ADDRESS: 'http://127.0.0.1:9100' })).toThrow(ConfigError);
    expect(() => loadConfig({ WORKER_METRICS_ADDRESS: '9100' })).toThrow(ConfigError);
  });
});

describe('the worker metrics endpoint', () => {
  let url: string;
  beforeAll(async () => {
    const logger = createLogger(loadConfig({}, { LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }));
    const runtime = installTemporalRuntime(logger, { metricsAddress: `127.0.0.1:${await freePort()}` });
    expect(runtime.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    url = runtime.metricsUrl!;
    // Installed once per process: a second call (the test stack's, another worker's) changes nothing.
    expect(installTemporalRuntime(logger, { metricsAddress: 'off' })).toBe(runtime);
  });

  const refused: ReserveResult = { ok: false, short: [{ lineRef: '1', warehouseCode: 'WH-SH', skuCode: 'TEA-LJ-250', quantity: 2, available: 1 }] };
  const reserved: ReserveResult = { ok: true, reserved: 2, alreadyReserved: 0 };
  const run = (activityType: string, result: ReserveResult) =>
    new MockActivityEnvironment({ activityType }, { interceptors: [workerMetricsInterceptor], metricMeter: Runtime.instance().metricMeter }).run(async () => result);

  it('counts each refused reservation once, and nothing else', async () => {
    // The interceptor hands the activity's answer back unchanged.
    expect(await run('reserveStock', refused)).toEqual(refused);
    expect(await run('reserveStock', refused)).toEqual(refused);
    expect(await run('reserveStock', reserved)).toEqual(reserved);
    // Another activity answering alike is not a reservation.
    await run('planFulfilment', refused);

    const text = await (await fetch(url)).text();
    expect(text).toContain(`# HELP ${RESERVATION_CONFLICTS.name} ${RESERVATION_CONFLICTS.help}`);
    expect(text).toContain(`# TYPE ${RESERVATION_CONFLICTS.name} counter`);
    const samples = text.split('\n').filter((l) => l.startsWith(`${RESERVATION_CONFLICTS.name}{`) || l.startsWith(`${RESERVATION_CONFLICTS.name} `));
    const total = samples.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    expect(samples.length).toBeGreaterThan(0);
    expect(total).toBe(2);
    // Every series of it names the activity it came from.
    for (const l of samples) expect(l).toContain('activityType="reserveStock"');
  });
});
