import { test as base } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHILD_ENV } from '../protocol/child.js';
import { resolveTarget, type ResolvedTarget } from './resolve-target.js';
import { waitForGo } from './go.js';
import { JourneyRun } from './journey-run.js';
import { warmUp } from './warm-up.js';

// Waiting for the go can take as long as the scheduler's interval: its own slot, not the test's.
const GO_WAIT_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/**
 * The journey kit's fixtures: `gpTarget` (worker-scoped: the target and its
 * secrets, or an embedded simulator) and `run` (the run: waits for the go,
 * then hands the journey its JourneyRun, and writes the artifacts after).
 */
export const test = base.extend<{ run: JourneyRun }, { gpTarget: ResolvedTarget }>({
  gpTarget: [
    async ({}, use) => {
      const resolved = await resolveTarget(process.env);
      await use(resolved);
      await resolved.stop?.();
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  run: [
    async ({ gpTarget }, use, testInfo) => {
      const underExecutor = (process.env[CHILD_ENV.goSocket] ?? '') !== '';
      if (underExecutor) await warmUp();
      const go = await waitForGo(process.env);
      const artifactDir = process.env[CHILD_ENV.artifactDir] ?? join(tmpdir(), 'gpmon-artifacts', go.runId);
      const run = new JourneyRun(go.runId, gpTarget.target, gpTarget.secrets, go.inputs, go.stepTimeoutMs, artifactDir, underExecutor);
      await use(run);
      await run.finish(testInfo);
    },
    { timeout: GO_WAIT_TIMEOUT_MS },
  ],
});

export { expect } from '@playwright/test';
