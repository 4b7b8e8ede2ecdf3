import { pathToFileURL } from 'node:url';
import type { Logger } from './logger.js';

/** True when the module at `url` is the script node was started with (not imported). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(entry).href === url;
}

/**
 * Runs `cleanup` once on SIGINT/SIGTERM, then exits. A second signal exits at once (the impatient Ctrl-C).
 */
export function onShutdown(logger: Logger, cleanup: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    cleanup().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
