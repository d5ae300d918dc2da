import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './src/browser/chromium.js';
import { CHILD_ENV } from './src/protocol/child.js';

/**
 * Journeys are ordinary Playwright tests: `npx playwright test journeys/x.spec.ts`
 * runs one by hand (UI mode and the trace viewer included) against the target
 * named in the environment, or an embedded simulator. Under the executor the
 * environment also brings a shared browser to connect to and the journey's
 * timeout. The browser comes from the one place that chooses it.
 */
const sharedBrowser = process.env[CHILD_ENV.browserWs];
const timeout = Number(process.env[CHILD_ENV.testTimeoutMs] ?? '') || 60_000;

export default defineConfig({
  testDir: './journeys',
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
    ...(sharedBrowser !== undefined && sharedBrowser !== ''
      ? { connectOptions: { wsEndpoint: sharedBrowser } }
      : { launchOptions: chromiumLaunchOptions() }),
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
