import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A mark for the processes one test starts: put `{ [OWNER_VARIABLE]: owner }`
 * in the environment of a monitor the test starts, and `runs.passEnv:
 * [OWNER_VARIABLE]` in its config (children inherit only an allow-list); its
 * journey children then carry it, so cleaning up after a kill -9 touches only
 * this test's runs, never another test file's running at the same time.
 */
export const OWNER_VARIABLE = 'TEST_OWNER_OF_GPMON_RUNS';

export function newOwner(): string {
  return randomUUID();
}

/**
 * Run processes left by a monitor killed with -9 (in production their cgroup
 * goes with it): only this owner's. The owner's journey children carry the
 * mark; their browsers carry only the run's tag, so the tags are read first.
 */
export function killRunOrphans(owner: string): void {
  const mark = `${OWNER_VARIABLE}=${owner}\0`;
  const environs = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      environs.set(Number(entry), readFileSync(`/proc/${entry}/environ`, 'latin1'));
    } catch {
      // Gone.
    }
  }
  const tags = new Set<string>();
  for (const environ of environs.values()) {
    const tag = /(?:^|\0)GPMON_RUN_TAG=([^\0]+)/.exec(environ)?.[1];
    if (tag !== undefined && environ.includes(mark)) tags.add(tag);
  }
  for (const [pid, environ] of environs) {
    const tag = /(?:^|\0)GPMON_RUN_TAG=([^\0]+)/.exec(environ)?.[1];
    if (tag === undefined || !tags.has(tag)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}

/** Live (not zombie) processes below `pid`: its children, theirs, and so on. Linux /proc. */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // Gone.
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() ?? -1) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** A process's environment as a map (empty when it is gone). */
export function environOf(pid: number): Map<string, string> {
  try {
    const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
    return new Map(raw.split('\0').filter((pair) => pair.includes('=')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as [string, string]));
  } catch {
    return new Map();
  }
}

/** The command line of a process ('' when gone). */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
