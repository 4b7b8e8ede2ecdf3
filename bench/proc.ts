/**
 * What the benches read of this machine's processes (Linux /proc): CPU time and resident memory per process
 * tree, to say where the CPU went during a phase (API, worker, Temporal, PostgreSQL, the bench's own clients) and
 * whether a process's memory stays flat.
 */
import fs from 'node:fs';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;
const PAGE_KB = 4;

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** utime + stime, in seconds. */
  cpuS: number;
  rssKb: number;
  cmdline: string;
}

/** Every process now. Processes that end while being read are left out. */
export function processes(): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name (field 2) is in parentheses and may hold spaces: the fields after it are split.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      out.set(Number(name), {
        pid: Number(name),
        ppid: Number(rest[1]),
        cpuS: (Number(rest[11]) + Number(rest[12])) / TICKS_PER_S,
        rssKb: Number(rest[21]) * PAGE_KB,
        cmdline,
      });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** `root` and every process below it. */
export function tree(all: Map<number, ProcInfo>, root: number): ProcInfo[] {
  const children = new Map<number, number[]>();
  for (const p of all.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: ProcInfo[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    const p = all.get(pid);
    if (p) out.push(p);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** A named group of processes: the trees under `roots(all)` (found again in each snapshot `all`). */
export interface ProcGroup {
  name: string;
  roots: (all: Map<number, ProcInfo>) => number[];
  /** Only the root processes themselves, not their children (the bench process, whose children are counted elsewhere). */
  rootsOnly?: boolean;
}

export interface GroupSample {
  cpuS: number;
  rssKb: number;
}

/** The processes of group `g` in the snapshot `all`. */
function membersOf(g: ProcGroup, all: Map<number, ProcInfo>): ProcInfo[] {
  return g.rootsOnly ? g.roots(all).flatMap((r) => (all.has(r) ? [all.get(r)!] : [])) : g.roots(all).flatMap((r) => tree(all, r));
}

export function sampleGroups(groups: readonly ProcGroup[], all = processes()): Record<string, GroupSample> {
  const out: Record<string, GroupSample> = {};
  for (const g of groups) {
    const members = membersOf(g, all);
    const unique = new Map(members.map((m) => [m.pid, m]));
    out[g.name] = { cpuS: [...unique.values()].reduce((a, m) => a + m.cpuS, 0), rssKb: [...unique.values()].reduce((a, m) => a + m.rssKb, 0) };
  }
  return out;
}

/** Pids whose command line contains every one of `parts`. */
export function pidsMatching(all: Map<number, ProcInfo>, ...parts: string[]): number[] {
  return [...all.values()].filter((p) => parts.every((x) => p.cmdline.includes(x))).map((p) => p.pid);
}

/** CPU each group used (a CPU meter's totals) over `seconds`: cores busy on average, and its share of all the groups' CPU. */
export function cpuSplit(used: Record<string, GroupSample>, seconds: number): string {
  const total = Object.values(used).reduce((a, v) => a + v.cpuS, 0);
  const parts = Object.entries(used)
    .filter(([, v]) => v.cpuS > 0)
    .map(([k, v]) => `${k} ${(v.cpuS / seconds).toFixed(2)} cores (${((v.cpuS / total) * 100).toFixed(0)}%)`);
  return `${parts.join(', ')}; all ${(total / seconds).toFixed(2)} cores over ${seconds.toFixed(0)} s`;
}

/**
 * CPU time per group, sampled every `everyMs`: each process's growth since its previous sample is added to its
 * group, so a process that ends during the phase (a load client) keeps what it used up to its last sample.
 */
export function startCpuMeter(groups: readonly ProcGroup[], everyMs = 2000): { stop(): Record<string, GroupSample>; readonly seconds: number } {
  const last = new Map<number, number>();
  const used: Record<string, GroupSample> = Object.fromEntries(groups.map((g) => [g.name, { cpuS: 0, rssKb: 0 }]));
  const started = Date.now();
  const take = () => {
    const all = processes();
    const seen = new Set<number>();
    for (const g of groups) {
      const members = membersOf(g, all);
      for (const m of members) {
        if (seen.has(m.pid)) continue;
        seen.add(m.pid);
        const before = last.get(m.pid);
        // A process first seen now: what it used before the meter started is not this phase's, unless it is new.
        if (before !== undefined) used[g.name]!.cpuS += Math.max(0, m.cpuS - before);
        last.set(m.pid, m.cpuS);
      }
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return used;
    },
    get seconds() {
      return (Date.now() - started) / 1000;
    },
  };
}
