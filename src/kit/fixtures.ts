import { test as base } from '@playwright/test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_ENV } from '../protocol/child.js';
import type { Redactor } from '../secrets/redactor.js';
import { redactFilesInPlace } from '../secrets/artifact-files.js';
import { resolveTarget, type ResolvedTarget } from './resolve-target.js';
import { waitForGo } from './go.js';
import { JourneyRun } from './journey-run.js';
import { warmUp } from './warm-up.js';

// Waiting for the go can take as long as the scheduler's interval: its own slot, not the test's.
const GO_WAIT_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/** Runs by hand whose output folders are redacted when the worker ends (after Playwright wrote their traces). */
interface HandRuns {
  readonly folders: { readonly dir: string; readonly redactor: Redactor }[];
}

/**
 * The journey kit's fixtures: `gpTarget` (worker-scoped: the target and its
 * secrets, or an embedded simulator) and `run` (the run: waits for the go,
 * then hands the journey its JourneyRun, and writes the artifacts after).
 * `page` is set up before `run`: a browser journey's browser, context and
 * page exist before the go, so their start-up is never inside a measured run.
 */
export const test = base.extend<{ run: JourneyRun }, { gpTarget: ResolvedTarget; gpHandRuns: HandRuns }>({
  gpTarget: [
    async ({}, use) => {
      const resolved = await resolveTarget(process.env);
      await use(resolved);
      await resolved.stop?.();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  gpHandRuns: [
    async ({}, use) => {
      const handRuns: HandRuns = { folders: [] };
      await use(handRuns);
      // Playwright writes a failed test's trace and error context after the test's fixtures end, before the worker's:
      // here every file a run by hand left is redacted as the executor redacts a monitored run's.
      for (const { dir, redactor } of handRuns.folders) {
        const problems = await redactFilesInPlace(filesUnder(dir), redactor);
        for (const problem of problems) process.stderr.write(`gpmon: could not redact ${problem}\n`);
      }
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  page: async ({ page, run: _run }, use) => {
    await use(page);
  },
  run: [
    async ({ gpTarget, gpHandRuns }, use, testInfo) => {
      const underExecutor = (process.env[CHILD_ENV.goSocket] ?? '') !== '';
      if (underExecutor) await warmUp();
      const go = await waitForGo(process.env);
      // By hand, the transcript lies beside Playwright's own output for the test, and is swept with it.
      const artifactDir = underExecutor ? (process.env[CHILD_ENV.artifactDir] ?? testInfo.outputDir) : testInfo.outputDir;
      const run = new JourneyRun(go.runId, gpTarget.target, gpTarget.secrets, go.inputs, go.stepTimeoutMs, artifactDir, underExecutor);
      if (!underExecutor) gpHandRuns.folders.push({ dir: testInfo.outputDir, redactor: run.redactor });
      await use(run);
      await run.finish(testInfo);
    },
    { timeout: GO_WAIT_TIMEOUT_MS },
  ],
});

function filesUnder(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

export { expect } from '@playwright/test';
