import { defineConfig } from '@playwright/test';
import { HEADED_ENV_VAR, chromiumLaunchOptions, headedRun, privateCaFlags } from './src/browser/chromium.js';
import { browserEnvironment } from './src/run/child-environment.js';
import { CHILD_ENV } from './src/protocol/child.js';

/**
 * Journeys are ordinary Playwright tests: `npx playwright test journeys/x.spec.ts`
 * runs one by hand (UI mode and the trace viewer included) against the target
 * named in the environment, or an embedded simulator. Under the executor the
 * environment also brings the journey's timeout and how many runs the
 * process serves (a warm runner: docs/warm-runner.md). Each worker launches its
 * own browser (one journey and one target's), from the one place that chooses
 * it, with an environment that holds no secret; each run gets a fresh context
 * in it.
 */
const timeout = Number(process.env[CHILD_ENV.testTimeoutMs] ?? '') || 60_000;
// Headless, the browser is Debian's headless shell where installed (a third of the full browser's CPU); a run by hand
// with a window (--headed, --debug) takes the full browser. Exported for the workers, which read this file too.
const headed = headedRun(process.argv, process.env);
if (headed) process.env[HEADED_ENV_VAR] = '1';

// The target's private CA, if it has one (under the executor, in its target; by hand, GPMON_CA_FILE): the browser trusts it too.
function targetCaFile(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const target = JSON.parse(env[CHILD_ENV.target] ?? 'null') as { caFile?: unknown } | null;
    if (typeof target?.caFile === 'string') return target.caFile;
  } catch {
    // A target the kit will refuse with its own message.
  }
  return env.GPMON_CA_FILE;
}
const launch = chromiumLaunchOptions({ headless: !headed });

export default defineConfig({
  // Under the executor, the folder of the journey it runs (one of the config's journeyDirs, say); by hand, journeys/.
  testDir: process.env[CHILD_ENV.journeyDir] ?? './journeys',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: { ...launch, args: [...launch.args, ...privateCaFlags(targetCaFile(process.env))], env: browserEnvironment(process.env) },
    // The journey kit records each run's trace itself (src/kit/fixtures.ts): redacted, and named for the run.
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
