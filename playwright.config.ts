import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './src/browser/chromium.js';

/**
 * Journeys are ordinary Playwright tests: `npx playwright test journeys/x.spec.ts`
 * runs one by hand (UI mode and the trace viewer included). The browser comes
 * from the one place that chooses it (src/browser/chromium.ts).
 */
export default defineConfig({
  testDir: './journeys',
  testMatch: '**/*.spec.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
