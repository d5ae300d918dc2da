import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A mark for the processes one test starts: put `{ [OWNER_VARIABLE]: owner }`
 * in the environment of a monitor the test starts; its journey children
 * inherit it, so cleaning up after a kill -9 touches only this test's runs,
 * never another test file's running at the same time.
 */
export const OWNER_VARIABLE = 'GPMON_TEST_OWNER';

export function newOwner(): string {
  return randomUUID();
}

/** Run processes left by a monitor killed with -9 (in production their cgroup goes with it): only this owner's. */
export function killRunOrphans(owner: string): void {
  const mark = `${OWNER_VARIABLE}=${owner}\0`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (environ.includes('GPMON_RUN_TAG=') && environ.includes(mark)) process.kill(Number(entry), 'SIGKILL');
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
