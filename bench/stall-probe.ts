/**
 * The machine's own floor under load: a process that does nothing but sleep 1 ms, at the ingest path's
 * priority, reports how late each wake-up was. Run beside the push phase by bench/ingest.bench.ts; what it
 * sees (other processes' system calls, page faults and interrupts holding the CPUs) every request of the
 * API sees too, several times over.
 *
 * Run: tsx bench/stall-probe.ts <seconds>   (prints one JSON line: p50, p99, p999, max in ms)
 */
const seconds = Number(process.argv[2] ?? 10);
if (!(seconds > 0)) {
  process.stderr.write('usage: tsx bench/stall-probe.ts <seconds>\n');
  process.exit(2);
}
const late: number[] = [];
const end = performance.now() + seconds * 1000;
let prev = performance.now();
while (performance.now() < end) {
  await new Promise((r) => setTimeout(r, 1));
  const now = performance.now();
  late.push(Math.max(0, now - prev - 1));
  prev = now;
}
late.sort((a, b) => a - b);
const at = (q: number) => Number(late[Math.min(late.length - 1, Math.floor(late.length * q))]!.toFixed(2));
process.stdout.write(`${JSON.stringify({ samples: late.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) })}\n`);
