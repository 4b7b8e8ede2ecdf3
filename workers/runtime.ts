import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../config/logger.js';

export interface TemporalRuntime {
  /** Where the SDK's Prometheus metrics are served (`http://host:port/metrics`); null when they are off. */
  metricsUrl: string | null;
}

let installed: TemporalRuntime | undefined;

/**
 * Routes the SDK's logs (workflow `log`, activity context logs, the core) through pino. The SDK adds the
 * workflow id, run id and activity to every line's metadata, so each line names its order.
 *
 * With `metricsAddress` (WORKER_METRICS_ADDRESS, `host:port`; `off` or absent: none), the SDK also serves its
 * metrics in Prometheus text at `http://<address>/metrics`: `temporal_*` (workflow and activity task latencies,
 * slots, polls, failures, sticky cache) and the metrics Orderly adds through the SDK's meter
 * (workers/metrics.ts). An address that cannot be bound is logged and the worker runs without metrics: they are
 * worth less than the orders. Once per process: later calls return the first call's runtime.
 */
export function installTemporalRuntime(logger: Logger, opts: { metricsAddress?: string | undefined } = {}): TemporalRuntime {
  if (installed) return installed;
  const log = logger.child({ component: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  const sdkLogger = new DefaultLogger('INFO', (entry) => {
    const meta: LogMetadata = entry.meta ?? {};
    log[levels[entry.level]]({ ...meta, ...(typeof meta.workflowId === 'string' ? { orderId: meta.workflowId } : {}) }, entry.message);
  });
  const address = opts.metricsAddress && opts.metricsAddress !== 'off' ? opts.metricsAddress : undefined;
  if (address) {
    try {
      // The exporter binds its port here: a failure throws now and leaves no runtime installed.
      Runtime.install({ logger: sdkLogger, telemetryOptions: { metrics: { prometheus: { bindAddress: address } } } });
      installed = { metricsUrl: `http://${address}/metrics` };
      return installed;
    } catch (e) {
      log.error({ address, err: e instanceof Error ? e.message : String(e) }, 'worker metrics not served (WORKER_METRICS_ADDRESS); running without them');
    }
  }
  Runtime.install({ logger: sdkLogger });
  installed = { metricsUrl: null };
  return installed;
}
