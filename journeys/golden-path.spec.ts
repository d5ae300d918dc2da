import { journeyTest } from '../src/kit/fixtures.js';
import { goldenPath } from '../src/journeys/golden-path.js';

/**
 * The golden path as a user walks it, in the web app, with live events read
 * from the page's own WebSocket (src/journeys/golden-path.ts, where tests can
 * also run it in-process).
 */
journeyTest('golden-path', async ({ page, run }) => {
  await goldenPath(page, run);
});
