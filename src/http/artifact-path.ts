import { realpath, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

/**
 * The artifact's path on disk when its real path (symlinks followed, every
 * component) is a regular file inside the run's own folder inside the real
 * runs folder; else undefined. A check on names alone would serve whatever a
 * symlink planted in the runs folder points at. The artifact API and the run
 * view's transcript both read through it.
 */
export async function realArtifactPath(runsDir: string, runId: string, stored: string): Promise<string | undefined> {
  try {
    const root = await realpath(runsDir);
    const runDir = join(root, runId);
    const real = await realpath(resolve(root, stored));
    if (!real.startsWith(runDir + sep) || (await realpath(runDir)) !== runDir) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}
