/**
 * What a process tree costs, read from Linux's /proc (proc(5)): CPU time and
 * resident memory, summed over a process and every descendant.
 *
 * CPU of a tree = Σ over its live processes of utime + stime + cutime +
 * cstime (fields 14-17 of /proc/PID/stat): a process that has exited and was
 * waited for by its parent (a finished `playwright test` runner, a Chromium
 * renderer reaped by the browser) is counted in its parent's cutime/cstime,
 * so the sum covers everything the tree ever ran, as long as its members reap
 * their children (Node, Playwright and Chromium all do). Resolution is one
 * clock tick (USER_HZ, 10 ms here).
 */
import { readFileSync, readdirSync } from 'node:fs';

/** USER_HZ: /proc counts CPU time in hundredths of a second on Linux. */
const TICK_MS = 10;
const PAGE_KB = 4;

/** One process as /proc/PID/stat shows it. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** The executable's name, up to 15 characters (`chromium`, `headless_shell`, `node`). */
  readonly comm: string;
  /** utime + stime, ms. */
  readonly ownCpuMs: number;
  /** cutime + cstime: the children it has waited for, ms. */
  readonly reapedCpuMs: number;
  /** Resident set, KiB. */
  readonly rssKb: number;
  /** Start time after boot, in clock ticks (tells a reused pid apart). */
  readonly startTicks: number;
}

/** /proc/PID/stat of one process, or undefined once it is gone. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The name is in parentheses and may hold spaces or parentheses itself: the fields follow the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): field N is fields[N - 3].
  const at = (n: number) => Number(fields[n - 3] ?? 0);
  return {
    pid,
    ppid: at(4),
    comm: text.slice(open + 1, close),
    ownCpuMs: (at(14) + at(15)) * TICK_MS,
    reapedCpuMs: (at(16) + at(17)) * TICK_MS,
    rssKb: at(24) * PAGE_KB,
    startTicks: at(22),
  };
}

/** Every process on the machine now. */
export function allProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== undefined) out.push(stat);
  }
  return out;
}

/** The process `root` and its live descendants (empty once it is gone). */
export function processTree(root: number): ProcStat[] {
  const all = allProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const top = all.find((p) => p.pid === root);
  if (top === undefined) return [];
  const out: ProcStat[] = [];
  const stack = [top];
  while (stack.length > 0) {
    const p = stack.pop() as ProcStat;
    out.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

/** CPU the tree rooted at `root` has used so far, ms (its live processes and every child they reaped). */
export function treeCpuMs(root: number): number {
  return processTree(root).reduce((sum, p) => sum + p.ownCpuMs + p.reapedCpuMs, 0);
}

/** Whether a process is a browser's (Chromium or its headless shell). */
export function isBrowserProcess(p: ProcStat): boolean {
  return /^(chrom|headless_shell)/i.test(p.comm);
}

/** Resident memory of a tree by kind, MB: the root process alone, the browsers, and every other descendant. */
export function treeRssMb(root: number): { root: number; browsers: number; others: number; browserProcesses: number } {
  let rootKb = 0;
  let browsers = 0;
  let others = 0;
  let browserProcesses = 0;
  for (const p of processTree(root)) {
    if (p.pid === root) rootKb = p.rssKb;
    else if (isBrowserProcess(p)) {
      browsers += p.rssKb;
      browserProcesses++;
    } else others += p.rssKb;
  }
  return { root: rootKb / 1024, browsers: browsers / 1024, others: others / 1024, browserProcesses };
}
