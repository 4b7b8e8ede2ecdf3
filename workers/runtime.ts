import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import type { Logger } from '../config/logger.js';

let installed = false;

/**
 * Routes the SDK's logs (workflow `log`, activity context logs, the core) through pino. The SDK adds the
 * workflow id, run id and activity to every line's metadata, so each line names its order.
 */
export function installTemporalRuntime(logger: Logger): void {
  if (installed) return;
  installed = true;
  const log = logger.child({ component: 'temporal-sdk' });
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      const meta: LogMetadata = entry.meta ?? {};
      log[levels[entry.level]]({ ...meta, ...(typeof meta.workflowId === 'string' ? { orderId: meta.workflowId } : {}) }, entry.message);
    }),
  });
}
