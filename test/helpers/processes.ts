import { readdirSync, readFileSync } from 'node:fs';

/** Run processes left by a monitor killed with -9: in production their cgroup goes with it; here the test cleans up. */
export function killRunOrphans(): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes('GPMON_RUN_TAG=')) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}
