// `npm run simulate -- --platform douyin --rate 50 --duration 60`: drives a running Orderly with the platform
// simulator and prints what arrived where. The logic is in channels/simulator/drive.ts; this is the terminal.
import { drive, formatProgress, formatReport, OrderlyApiError, OrderlyUnreachableError, parseSimulateArgs, USAGE } from '../channels/simulator/drive.js';

const parsed = parseSimulateArgs(process.argv.slice(2), Date.now(), process.env.ORDERLY_KEY || undefined);
if (parsed.kind === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (parsed.kind === 'error') {
  process.stderr.write(`simulate: ${parsed.message}\n\n${USAGE}`);
  process.exit(2);
}
const options = parsed.options;
const tty = process.stdout.isTTY === true;

// First Ctrl-C: stop generating and report; a second one leaves at once.
const abort = new AbortController();
process.on('SIGINT', () => {
  if (abort.signal.aborted) process.exit(130);
  abort.abort();
  process.stderr.write('\nstopping: finishing in-flight pushes, then reporting (Ctrl-C again to quit now)\n');
});

const modes = options.platforms.map((p) => `${p} ${p === 'jd' ? 'pull' : (options.mode ?? 'push')}`).join(', ');
process.stdout.write(`Driving Orderly at ${options.api}: ${modes}; ${options.rate} orders/s for ${options.durationS} s, seed ${options.seed}\n`);
const shares: Array<[string, number | undefined]> = [
  ['already shipped', options.alreadyShippedRate],
  ['one line refunded', options.refundLineRate],
  ['address changed later', options.lateAddressRate],
];
if (shares.some(([, v]) => v)) process.stdout.write(`Scenarios of paid push orders: ${shares.map(([k, v]) => `${k} ${((v ?? 0) * 100).toFixed(0)}%`).join(', ')}\n`);
if (options.warehouse) process.stdout.write(`Playing the warehouse: released packages picked and shipped (${options.warehouse.failRate * 100}% failed), up to ${options.warehouse.maxDelayMs / 1000} s a step\n`);

let lastPlain = 0;
let lastLineLength = 0;
try {
  const report = await drive(options, {
    signal: abort.signal,
    progressEveryMs: tty ? 200 : 1000,
    onProgress: (p) => {
      const line = formatProgress(p);
      if (tty) {
        // One line, redrawn in place; cleared before the report.
        process.stdout.write(`\r${line}\x1b[K`);
        lastLineLength = line.length;
      } else if (p.phase === 'done' || Date.now() - lastPlain >= 5000) {
        // Logs and pipes get a plain line every few seconds rather than a stream of carriage returns.
        lastPlain = Date.now();
        process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
      }
    },
  });
  if (tty && lastLineLength) process.stdout.write('\n');
  process.stdout.write(`\n${formatReport(report)}\n`);
  const complete = report.orderly.missing.length === 0 && report.pushes.failed === 0;
  process.exit(complete ? 0 : 3);
} catch (e) {
  if (tty && lastLineLength) process.stdout.write('\n');
  if (e instanceof OrderlyUnreachableError || e instanceof OrderlyApiError) {
    process.stderr.write(`simulate: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
