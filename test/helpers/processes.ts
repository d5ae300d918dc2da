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
